"""Verifying claims: load what the rules need for one claim, ask the rules, store the answer."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from piccolo.engine.base import Engine

from registry import rules
from registry.services.errors import FieldError, ValidationFailed
from registry.services.import_parse import CODE_PATTERN, EIGHT_DIGITS, ISO_DATE
from registry.services.sql import Writer, reading, writing

MAX_PERIOD_DAYS = 366
CLAIM_FIELDS = (
    "programme_code",
    "coach_registration_number",
    "coach_agb_code",
    "service_date",
    "service_end_date",
    "as_known_at",
    "reference",
)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True, slots=True)
class Claim:
    """A checked request: programme P by coach C on a date or period, as known at a time."""

    programme_code: str
    coach_registration_number: str | None
    coach_agb_code: str | None
    service_date: dt.date
    service_end_date: dt.date | None
    as_known_at: dt.datetime | None
    reference: str | None

    def request_fields(self) -> dict[str, Any]:
        """The request as given, normalised, for storing and for receipts."""
        return {
            "programme_code": self.programme_code,
            "coach_registration_number": self.coach_registration_number,
            "coach_agb_code": self.coach_agb_code,
            "service_date": self.service_date.isoformat(),
            "service_end_date": self.service_end_date.isoformat() if self.service_end_date else None,
            "as_known_at": rfc3339(self.as_known_at) if self.as_known_at else None,
            "reference": self.reference,
        }


def rfc3339(moment: dt.datetime) -> str:
    """An aware moment in UTC, written with a Z."""
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_claim(raw: Any, now: dt.datetime | None = None, prefix: str = "") -> Claim:
    """Check a claim's fields; raises ValidationFailed naming every bad field."""
    errors: list[FieldError] = []

    def fail(name: str, message: str, code: str = "invalid") -> None:
        errors.append(FieldError(f"{prefix}{name}", message, code))

    if not isinstance(raw, dict):
        raise ValidationFailed([FieldError(prefix.rstrip(".") or "$", "must be a JSON object")])
    for name in raw:
        if name not in CLAIM_FIELDS:
            fail(name, "unknown field", "unknown_field")
    programme = raw.get("programme_code")
    if programme is None:
        fail("programme_code", "is required", "required")
    elif not isinstance(programme, str) or not CODE_PATTERN.match(programme.strip().upper()):
        fail("programme_code", "must be a programme code (letters, digits and '-')")
    number, agb = raw.get("coach_registration_number"), raw.get("coach_agb_code")
    if (number is None) == (agb is None):
        fail("coach_registration_number", "give exactly one of coach_registration_number or coach_agb_code", "required")
    if number is not None and (not isinstance(number, str) or not CODE_PATTERN.match(number.strip().upper())):
        fail("coach_registration_number", "must be a registration number (letters, digits and '-')")
    if agb is not None and (not isinstance(agb, str) or not EIGHT_DIGITS.match(agb)):
        fail("coach_agb_code", "must be a string of exactly 8 digits")
    first = _date(raw, "service_date", fail, required=True)
    last = _date(raw, "service_end_date", fail, required=False)
    if first and last:
        if last < first:
            fail("service_end_date", "must not be before service_date")
        elif (last - first).days + 1 > MAX_PERIOD_DAYS:
            fail("service_end_date", f"the period may span at most {MAX_PERIOD_DAYS} days")
    known_at = None
    if raw.get("as_known_at") is not None:
        value = raw["as_known_at"]
        if not isinstance(value, str) or not RFC3339.match(value):
            fail("as_known_at", "must be an RFC 3339 time with offset, e.g. 2026-06-01T12:00:00+02:00")
        else:
            known_at = dt.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
            if known_at > (now or dt.datetime.now(dt.timezone.utc)):
                fail("as_known_at", "must not be in the future")
    reference = raw.get("reference")
    if reference is not None and (not isinstance(reference, str) or len(reference) > 64):
        fail("reference", "must be a string of at most 64 characters")
    if errors:
        raise ValidationFailed(errors)
    return Claim(
        programme_code=programme.strip().upper(),
        coach_registration_number=number.strip().upper() if number is not None else None,
        coach_agb_code=agb,
        service_date=first,
        service_end_date=last,
        as_known_at=known_at,
        reference=reference,
    )


def _date(raw: dict[str, Any], name: str, fail, required: bool) -> dt.date | None:
    value = raw.get(name)
    if value is None:
        if required:
            fail(name, "is required", "required")
        return None
    if not isinstance(value, str) or not ISO_DATE.match(value):
        fail(name, "must be a date written YYYY-MM-DD")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(name, "is not a real calendar date")
        return None


def uuid7() -> str:
    """A time-ordered UUID (version 7), so stored verifications sort by time."""
    raw = bytearray((time.time_ns() // 1_000_000).to_bytes(6, "big") + secrets.token_bytes(10))
    raw[6] = 0x70 | (raw[6] & 0x0F)
    raw[8] = 0x80 | (raw[8] & 0x3F)
    return str(uuid.UUID(bytes=bytes(raw)))


def to_decision(row: dict[str, Any]) -> rules.Decision:
    """A stored decision row as the rules see it."""
    return rules.Decision(
        id=row["id"],
        kind=rules.DecisionKind(row["kind"]),
        recorded_at=row["recorded_at"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        target=row["target_id"],
        reference=row["reference"],
    )


async def _load(reader: Writer, claim: Claim) -> dict[str, Any]:
    programme = await reader.fetch_one(
        "SELECT p.*, o.code AS provider_code, o.name AS provider_name, o.agb_code AS provider_agb_code "
        "FROM programme p LEFT JOIN organisation o ON o.id = p.organisation WHERE p.code = ?",
        claim.programme_code,
    )
    if claim.coach_registration_number is not None:
        coach = await reader.fetch_one("SELECT * FROM coach WHERE registration_number = ?", claim.coach_registration_number)
    else:
        coach = await reader.fetch_one("SELECT * FROM coach WHERE agb_code = ?", claim.coach_agb_code)
    decisions = await reader.fetch_all(
        "SELECT * FROM decision WHERE (subject_kind = 'programme' AND subject_id = ?) "
        "OR (subject_kind = 'coach' AND subject_id = ?) ORDER BY id",
        programme["id"] if programme else -1,
        coach["id"] if coach else -1,
    )
    qualifications = []
    if coach is not None:
        qualifications = await reader.fetch_all(
            "SELECT q.completed_on, q.recorded_at, q.training, t.guidance_types, t.formats "
            "FROM qualification q JOIN training t ON t.id = q.training WHERE q.coach = ?",
            coach["id"],
        )
    training_decisions = await reader.fetch_in(
        "SELECT * FROM decision WHERE subject_kind = 'training' AND subject_id IN", [q["training"] for q in qualifications]
    )
    last = await reader.fetch_one("SELECT id FROM decision ORDER BY id DESC LIMIT 1")
    return {
        "programme": programme,
        "coach": coach,
        "decisions": decisions,
        "qualifications": qualifications,
        "training_decisions": training_decisions,
        "data_version": last["id"] if last else 0,
    }


def _facts(loaded: dict[str, Any]) -> tuple[rules.ProgrammeFacts | None, rules.CoachFacts | None]:
    programme, coach = loaded["programme"], loaded["coach"]
    by_subject: dict[tuple[str, int], list[rules.Decision]] = {}
    for row in loaded["decisions"] + loaded["training_decisions"]:
        by_subject.setdefault((row["subject_kind"], row["subject_id"]), []).append(to_decision(row))
    programme_facts = coach_facts = None
    if programme is not None:
        programme_facts = rules.ProgrammeFacts(
            programme["guidance_type"], programme["format"], tuple(by_subject.get(("programme", programme["id"]), ()))
        )
    if coach is not None:
        qualifications = tuple(
            rules.QualificationFacts(
                completed_on=q["completed_on"],
                recorded_at=q["recorded_at"],
                training=rules.TrainingFacts(
                    frozenset(json.loads(q["guidance_types"])),
                    frozenset(json.loads(q["formats"])),
                    tuple(by_subject.get(("training", q["training"]), ())),
                ),
            )
            for q in loaded["qualifications"]
        )
        coach_facts = rules.CoachFacts(tuple(by_subject.get(("coach", coach["id"]), ())), qualifications)
    return programme_facts, coach_facts


def _accreditation(decision: rules.Decision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "valid_from": decision.starts_on.isoformat() if decision.starts_on else None,
        "valid_until": decision.ends_on.isoformat() if decision.ends_on else None,
        "reference": decision.reference,
    }


def coach_display_name(coach: dict[str, Any]) -> str:
    """Initials, prefix and surname, as in "J. de Vries"."""
    return " ".join(part for part in (coach["initials"], coach.get("prefix"), coach["surname"]) if part)


def verdict_document(claim: Claim, loaded: dict[str, Any], checked_at: dt.datetime, verification_id: str) -> dict[str, Any]:
    """The answer in the shape of POST /api/v1/verifications (without the receipt)."""
    programme_facts, coach_facts = _facts(loaded)
    verdict = rules.verify_claim(programme_facts, coach_facts, claim.service_date, claim.service_end_date, claim.as_known_at)
    programme, coach = loaded["programme"], loaded["coach"]
    programme_part = coach_part = None
    if programme is not None and verdict.programme is not None:
        programme_part = {
            "code": programme["code"],
            "name": programme["name"],
            "provider": None
            if programme["provider_code"] is None
            else {"code": programme["provider_code"], "name": programme["provider_name"], "agb_code": programme["provider_agb_code"]},
            "guidance_type": programme["guidance_type"],
            "format": programme["format"],
            "status": str(verdict.programme.status),
            "accreditation": _accreditation(verdict.programme.accreditation),
        }
    if coach is not None and verdict.coach is not None:
        coach_part = {
            "registration_number": coach["registration_number"],
            "name": coach_display_name(coach),
            "status": str(verdict.coach.status),
            "accreditation": _accreditation(verdict.coach.accreditation),
            "qualified": verdict.qualified,
        }
    return {
        "verification_id": verification_id,
        "accredited": verdict.accredited,
        "reasons": [{"code": str(r.code), "subject": r.subject, "on": r.on.isoformat()} for r in verdict.reasons],
        "programme": programme_part,
        "coach": coach_part,
        "service_date": claim.service_date.isoformat(),
        "service_end_date": claim.service_end_date.isoformat() if claim.service_end_date else None,
        "as_known_at": rfc3339(claim.as_known_at) if claim.as_known_at else None,
        "checked_at": rfc3339(checked_at),
        "data_version": loaded["data_version"],
        "reference": claim.reference,
    }


async def verify(engine: Engine, claim: Claim, client_id: int | None = None, store: bool = True) -> dict[str, Any]:
    """Answer one claim from the database and store the answer."""
    async with reading(engine) as reader:
        loaded = await _load(reader, claim)
    checked_at = dt.datetime.now(dt.timezone.utc)
    document = verdict_document(claim, loaded, checked_at, uuid7())
    if store:
        async with writing(engine, serialise=False) as writer:
            await writer.insert_many(
                "verification",
                [
                    {
                        "verification_id": document["verification_id"],
                        "client": client_id,
                        "request": json.dumps(claim.request_fields()),
                        "result": json.dumps(document),
                        "accredited": document["accredited"],
                        "data_version": document["data_version"],
                        "checked_at": checked_at,
                    }
                ],
            )
    return document
