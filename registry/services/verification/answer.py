"""Verifying claims: load what the rules need for one claim, ask the rules, store the answer."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from dataclasses import dataclass
from typing import Any

import msgspec
from piccolo.engine.base import Engine

from registry import rules
from registry.services.errors import FieldError, ValidationFailed
from registry.services.imports.parse import CODE_PATTERN, EIGHT_DIGITS, ISO_DATE
from registry.services.sql import reading, writing
from registry.services.verification.snapshot import Snapshot, load_subjects

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
RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})")


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
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


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
    elif not isinstance(programme, str) or not CODE_PATTERN.fullmatch(programme.upper()):
        fail("programme_code", "must be a programme code (letters, digits and '-')")
    number, agb = raw.get("coach_registration_number"), raw.get("coach_agb_code")
    if (number is None) == (agb is None):
        fail("coach_registration_number", "give exactly one of coach_registration_number or coach_agb_code", "required")
    if number is not None and (not isinstance(number, str) or not CODE_PATTERN.fullmatch(number.upper())):
        fail("coach_registration_number", "must be a registration number (letters, digits and '-')")
    if agb is not None and (not isinstance(agb, str) or not EIGHT_DIGITS.fullmatch(agb)):
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
        if not isinstance(value, str) or not RFC3339.fullmatch(value):
            fail("as_known_at", "must be an RFC 3339 time with offset, e.g. 2026-06-01T12:00:00+02:00")
        else:
            try:
                known_at = dt.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
            except ValueError:
                fail("as_known_at", "is not a real moment in time")
            else:
                if known_at > (now or dt.datetime.now(dt.timezone.utc)):
                    fail("as_known_at", "must not be in the future")
    reference = raw.get("reference")
    if reference is not None and (not isinstance(reference, str) or len(reference) > 64):
        fail("reference", "must be a string of at most 64 characters")
    if errors:
        raise ValidationFailed(errors)
    return Claim(
        programme_code=programme.upper(),
        coach_registration_number=number.upper() if number is not None else None,
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
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        fail(name, "must be a date written YYYY-MM-DD")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(name, "is not a real calendar date")
        return None


_entropy = bytearray()


def _random_bytes(count: int) -> bytes:
    """Bytes from the OS's random source, fetched 4 KiB at a time: one getrandom() per 400 ids."""
    global _entropy
    if len(_entropy) < count:
        _entropy = bytearray(os.urandom(4096))
    taken = bytes(_entropy[:count])
    del _entropy[:count]
    return taken


def uuid7() -> str:
    """A time-ordered UUID (version 7), so stored verifications sort by time."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(_random_bytes(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 9562 variant
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _accreditation(decision: rules.Decision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "valid_from": decision.starts_on.isoformat() if decision.starts_on else None,
        "valid_until": decision.ends_on.isoformat() if decision.ends_on else None,
        "reference": decision.reference,
    }


def answer(claim: Claim, snapshot: Snapshot, checked_at: dt.datetime, verification_id: str) -> dict[str, Any]:
    """The answer in the shape of POST /api/v1/verifications (without the receipt)."""
    programme = snapshot.programmes.get(claim.programme_code)
    coach = snapshot.find_coach(claim.coach_registration_number, claim.coach_agb_code)
    verdict = rules.verify_claim(
        programme.facts() if programme else None,
        snapshot.coach_facts(coach) if coach else None,
        claim.service_date,
        claim.service_end_date,
        claim.as_known_at,
    )
    programme_part = coach_part = None
    if programme is not None and verdict.programme is not None:
        programme_part = {
            "code": programme.code,
            "name": programme.name,
            "provider": programme.provider,
            "guidance_type": programme.guidance_type,
            "format": programme.format,
            "status": str(verdict.programme.status),
            "accreditation": _accreditation(verdict.programme.accreditation),
        }
    if coach is not None and verdict.coach is not None:
        coach_part = {
            "registration_number": coach.registration_number,
            "name": coach.name,
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
        "data_version": snapshot.data_version,
        "reference": claim.reference,
    }


def stored_row(document: dict[str, Any], claim: Claim, client_id: int | None, checked_at: dt.datetime) -> dict[str, Any]:
    """The verification table row for one answer."""
    return {
        "verification_id": document["verification_id"],
        "client": client_id,
        "request": _JSON.encode(claim.request_fields()).decode(),
        "result": _JSON.encode(document).decode(),
        "accredited": document["accredited"],
        "data_version": document["data_version"],
        "checked_at": checked_at,
    }


_JSON = msgspec.json.Encoder()


async def verify(engine: Engine, claim: Claim, client_id: int | None = None, store: bool = True) -> dict[str, Any]:
    """Answer one claim straight from the database (the command line's way) and store the answer."""
    async with reading(engine) as reader:
        numbers = {claim.coach_registration_number} if claim.coach_registration_number else set()
        agb = {claim.coach_agb_code} if claim.coach_agb_code else set()
        snapshot = await load_subjects(reader, {claim.programme_code}, numbers, set(), agb)
    checked_at = dt.datetime.now(dt.timezone.utc)
    document = answer(claim, snapshot, checked_at, uuid7())
    if store:
        async with writing(engine, serialise=False) as writer:
            await writer.insert_many("verification", [stored_row(document, claim, client_id, checked_at)])
    return document
