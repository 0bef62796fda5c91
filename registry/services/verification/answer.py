"""Verifying claims: load what the rules need for one claim, ask the rules, store the answer."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from typing import Any

import msgspec
from msgspec import UNSET
from piccolo.engine.base import Engine

from registry import rules
from registry.schemas.history import Accreditation
from registry.schemas.verification import (
    Candidate,
    CoachOutcome,
    ProgrammeOutcome,
    Provider,
    Reason,
    VerificationRequest,
    VerificationResult,
)
from registry.services.errors import FieldError, Refusal, ValidationFailed
from registry.services.sql import reading, writing
from registry.services.values import CODE_PATTERN, EIGHT_DIGITS, in_range, iso_date, refuse_unsafe
from registry.services.verification.snapshot import CoachEntry, ProgrammeEntry, Snapshot, load_subjects

MAX_PERIOD_DAYS = 366
GUIDANCE_TYPES = rules.names(rules.GuidanceType)
CLAIM_FIELDS = VerificationRequest.__struct_fields__
RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})")


def utc(moment: dt.datetime) -> dt.datetime:
    """An aware moment in UTC, so that it is written with a Z."""
    return moment.astimezone(dt.timezone.utc)


def rfc3339(moment: dt.datetime) -> str:
    """An aware moment in UTC, written with a Z."""
    return utc(moment).isoformat().replace("+00:00", "Z")


def parse_claim(raw: Any, now: dt.datetime | None = None, prefix: str = "") -> VerificationRequest:
    """The claim checked and normalised (codes upper-case, as_known_at in UTC); raises ValidationFailed naming every bad field."""
    errors: list[FieldError] = []

    def fail(name: str, message: str, code: str = "invalid") -> None:
        errors.append(FieldError(f"{prefix}{name}", message, code))

    if not isinstance(raw, dict):
        raise ValidationFailed([FieldError(prefix.rstrip(".") or "$", "must be a JSON object")])
    for name in raw:
        if name not in CLAIM_FIELDS:
            fail(name, "unknown field", "unknown_field")
    programme, provider, guidance = raw.get("programme_code"), raw.get("provider_agb_code"), raw.get("guidance_type")
    if (programme is None) == (provider is None):
        fail("programme_code", "give exactly one of programme_code or provider_agb_code", "required")
    if programme is not None and (not isinstance(programme, str) or not CODE_PATTERN.fullmatch(programme.upper())):
        fail("programme_code", "must be a programme code (letters, digits and '-')")
    if provider is not None and (not isinstance(provider, str) or not EIGHT_DIGITS.fullmatch(provider)):
        fail("provider_agb_code", "must be a string of exactly 8 digits")
    if guidance is not None:
        if guidance not in GUIDANCE_TYPES:
            fail("guidance_type", "must be one of: " + ", ".join(GUIDANCE_TYPES))
        elif provider is None:
            fail("guidance_type", "may be given only with provider_agb_code (a programme has its own guidance type)")
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
                known_at = in_range(dt.datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00")))
            except Refusal as problem:
                fail("as_known_at", str(problem))
            except ValueError:
                fail("as_known_at", "is not a real moment in time")
            else:
                if known_at > (now or dt.datetime.now(dt.timezone.utc)):
                    fail("as_known_at", "must not be in the future")
    reference = raw.get("reference")
    if reference is not None and (not isinstance(reference, str) or len(reference) > 64):
        fail("reference", "must be a string of at most 64 characters")
    elif reference is not None:
        _check(lambda: refuse_unsafe(reference), "reference", fail)
    if errors or first is None:  # a missing date has already added an error
        raise ValidationFailed(errors)
    return VerificationRequest(
        programme_code=programme.upper() if programme is not None else None,
        provider_agb_code=provider if provider is not None else UNSET,
        guidance_type=guidance if guidance is not None else UNSET,
        coach_registration_number=number.upper() if number is not None else None,
        coach_agb_code=agb,
        service_date=first,
        service_end_date=last,
        as_known_at=utc(known_at) if known_at else None,
        reference=reference,
    )


def _date(raw: dict[str, Any], name: str, fail, required: bool) -> dt.date | None:
    value = raw.get(name)
    if value is None:
        if required:
            fail(name, "is required", "required")
        return None
    return _check(lambda: iso_date(value), name, fail)


def _check(check, name: str, fail) -> Any:
    try:
        return check()
    except Refusal as problem:
        fail(name, str(problem))
        return None


_entropy = b""
_entropy_at = 0


def _random_bytes(count: int) -> bytes:
    """Bytes from the OS's random source, fetched 4 KiB at a time: one getrandom() per 400 ids.

    os.urandom releases the GIL, and getting it back behind the receipt-signing thread costs far more
    than the call: one call per id made id generation a quarter of a batch's event-loop time.
    """
    global _entropy, _entropy_at
    if _entropy_at + count > len(_entropy):
        _entropy, _entropy_at = os.urandom(4096), 0
    _entropy_at += count
    return _entropy[_entropy_at - count : _entropy_at]


def uuid7() -> str:
    """A time-ordered UUID (version 7), so stored verifications sort by time."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(_random_bytes(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 9562 variant
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def accreditation(grant: rules.Decision | None) -> Accreditation | None:
    """The grant covering a day, as answers show it."""
    if grant is None:
        return None
    if grant.starts_on is None:
        raise ValueError(f"grant {grant.reference} has no first day")
    return Accreditation(grant.starts_on, grant.ends_on, grant.reference)


def answer(claim: VerificationRequest, snapshot: Snapshot, checked_at: dt.datetime, verification_id: str) -> VerificationResult:
    """The answer of POST /api/v1/verifications, without its receipt."""
    if claim.provider_agb_code is not UNSET:
        return _declaration_answer(claim, claim.provider_agb_code, snapshot, checked_at, verification_id)
    programme = snapshot.programmes.get(claim.programme_code or "")
    coach = snapshot.find_coach(claim.coach_registration_number, claim.coach_agb_code)
    verdict = rules.verify_claim(
        programme.facts if programme else None,
        snapshot.coach_facts(coach) if coach else None,
        claim.service_date,
        claim.service_end_date,
        claim.as_known_at,
        snapshot.care_standard,
    )
    return VerificationResult(
        verification_id=verification_id,
        accredited=verdict.accredited,
        reasons=_reasons(verdict.reasons),
        programme=_programme_outcome(programme, verdict),
        coach=_coach_outcome(coach, verdict),
        service_date=claim.service_date,
        service_end_date=claim.service_end_date,
        as_known_at=claim.as_known_at,
        checked_at=utc(checked_at),
        data_version=snapshot.data_version,
        reference=claim.reference,
    )


def _declaration_answer(
    claim: VerificationRequest, agb_code: str, snapshot: Snapshot, checked_at: dt.datetime, verification_id: str
) -> VerificationResult:
    """The answer to a claim naming the provider by AGB code: every candidate programme, the first that fits."""
    organisation, programmes = snapshot.provider_programmes(agb_code)
    coach = snapshot.find_coach(claim.coach_registration_number, claim.coach_agb_code)
    entries = {programme.code: programme for programme in programmes}
    verdict = rules.verify_declaration_line(
        None if organisation is None else [(programme.code, programme.facts) for programme in programmes],
        snapshot.coach_facts(coach) if coach else None,
        claim.service_date,
        claim.service_end_date,
        claim.as_known_at,
        guidance_type=None if claim.guidance_type is UNSET else claim.guidance_type,
        care_standard=snapshot.care_standard,
    )
    return VerificationResult(
        verification_id=verification_id,
        accredited=verdict.accredited,
        reasons=_reasons(verdict.reasons),
        programme=_programme_outcome(None if verdict.chosen is None else entries[verdict.chosen.code], verdict),
        coach=_coach_outcome(coach, verdict),
        service_date=claim.service_date,
        service_end_date=claim.service_end_date,
        as_known_at=claim.as_known_at,
        checked_at=utc(checked_at),
        data_version=snapshot.data_version,
        reference=claim.reference,
        provider=None if organisation is None else Provider(organisation.code, organisation.name, agb_code),
        candidates=[_candidate(entries[candidate.code], candidate) for candidate in verdict.candidates],
    )


def _programme_outcome(programme: ProgrammeEntry | None, verdict: rules.Verdict | rules.DeclarationVerdict) -> ProgrammeOutcome | None:
    """The programme as the answer shows it: the one claimed, or the first fitting candidate."""
    if programme is None or verdict.programme is None:
        return None
    return ProgrammeOutcome(
        programme.code, programme.name, programme.provider, programme.guidance_type, programme.format,
        verdict.programme.status, accreditation(verdict.programme.accreditation),
    )


def _coach_outcome(coach: CoachEntry | None, verdict: rules.Verdict | rules.DeclarationVerdict) -> CoachOutcome | None:
    """The coach as the answer shows it, with whether they are qualified for the programme."""
    if coach is None or verdict.coach is None:
        return None
    return CoachOutcome(
        coach.registration_number, coach.name, verdict.coach.status, accreditation(verdict.coach.accreditation), verdict.qualified
    )


def _reasons(reasons: tuple[rules.Reason, ...]) -> list[Reason]:
    return [Reason(reason.code, reason.subject, reason.on) for reason in reasons]


def _candidate(programme: ProgrammeEntry, candidate: rules.Candidate) -> Candidate:
    return Candidate(programme.code, programme.name, programme.guidance_type, programme.format, candidate.fits, _reasons(candidate.reasons))


def stored_row(document: VerificationResult, claim: VerificationRequest, client_id: int | None, checked_at: dt.datetime,
               encoded: bytes | None = None) -> dict[str, Any]:
    """The verification table row for one answer (`encoded`: the answer as JSON, when the caller has encoded it already)."""
    return {
        "verification_id": document.verification_id,
        "client": client_id,
        "request": _JSON.encode(claim).decode(),
        "result": (encoded or _JSON.encode(document)).decode(),
        "accredited": document.accredited,
        "data_version": document.data_version,
        "checked_at": checked_at,
    }


_JSON = msgspec.json.Encoder()


async def verify(engine: Engine, claim: VerificationRequest, client_id: int | None = None, store: bool = True) -> dict[str, Any]:
    """Answer one claim straight from the database (the command line's way), store the answer, and give it as JSON values."""
    async with reading(engine) as reader:
        numbers = {claim.coach_registration_number} if claim.coach_registration_number else set()
        agb = {claim.coach_agb_code} if claim.coach_agb_code else set()
        programmes = {claim.programme_code} if claim.programme_code else set()
        providers = set() if claim.provider_agb_code is UNSET else {claim.provider_agb_code}
        snapshot = await load_subjects(reader, programmes, numbers, set(), agb, provider_agb_codes=providers)
    checked_at = dt.datetime.now(dt.timezone.utc)
    document = answer(claim, snapshot, checked_at, uuid7())
    if store:
        async with writing(engine, serialise=False) as writer:
            await writer.insert_many("verification", [stored_row(document, claim, client_id, checked_at)])
    return msgspec.to_builtins(document)
