"""What the public may read: subjects with their status today, public decision history, the change feed.

Only public fields leave this module: never a coach's e-mail, phone, BIG number or internal note,
nor who recorded a decision or an override's internal reason.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Sequence

import msgspec

from registry import rules
from registry.schemas.history import Accreditation, Change, ChangeFeed, ChangeSubject, PublicDecision, StatusBasis
from registry.schemas.public import (
    CoachDetail,
    NamedCode,
    OfferedSubject,
    OrganisationDetail,
    ProgrammeDetail,
    ProgrammeProvider,
    QualificationView,
    TrainingDetail,
)
from registry.services.errors import FieldError, NotFound, ValidationFailed
from registry.services.public import queries
from registry.services.sql import Writer
from registry.services.verification.answer import accreditation, utc
from registry.services.verification.snapshot import coach_display_name, to_decision

CURSOR_PREFIX = "d1:"
# Exactly the cursors `encode_cursor` can give ("d1:" and decimal digits, base64url without padding), or
# nothing for the start: any text this pattern takes is a position in the feed.
_DIGITS = "(?:[MN][DTjz]|O[DT])[AEIMQUYcgk][w-z0-5]"
CURSOR_PATTERN = f"^(?:|ZDE6(?:{_DIGITS})*(?:{_DIGITS}|(?:[MN][DTjz]|O[DT])[AEIMQUYcgk]|[MN][AQgw]|O[AQ]))$"
# A position past any decision id the database can hold (a 32-bit serial on PostgreSQL): the feed after it is empty.
LAST_POSITION = 2**31 - 1
MAX_CHANGES = 1000


def today() -> dt.date:
    """The calendar date in the Netherlands now."""
    return rules.amsterdam_date(dt.datetime.now(dt.timezone.utc))


def public_decision(row: dict[str, Any], references: dict[int, str], links: rules.DecisionLinks | None = None) -> PublicDecision:
    """One decision as the public sees it: each kind's own field names (rules.DECISION_FIELDS), whether it is void or lifted
    (`links`, the subject's rules.history), reasons only where rules.reason_is_public says so."""
    kind = rules.DecisionKind(row["kind"])
    fields = rules.DECISION_FIELDS[kind]
    published: dict[str, Any] = {"kind": row["kind"], "reference": row["reference"], "recorded_at": utc(row["recorded_at"])}
    for name, value in ((fields.start, row["starts_on"]), (fields.end, row["ends_on"]), (fields.target, references.get(row["target_id"]))):
        if name:
            published[name] = value
    retraction = links.retracted_by.get(row["id"]) if links else None
    if retraction is not None:
        published.update(void=True, retracted_by=retraction.reference)
    lift = links.lifted_by.get(row["id"]) if links and retraction is None else None
    if lift is not None:
        published.update(lifted_on=lift.starts_on, lifted_by=lift.reference)
    # Every kind has a public explanation; one recorded before the form said so, or of a void decision, is not published
    # (rules.reason_is_public): the field stays, empty.
    public = rules.reason_is_public(kind, row.get("reason_public"), void=retraction is not None)
    published["reason"] = (row["reason"] or "") if public else ""
    return msgspec.convert(published, PublicDecision)


def published_history(rows: Sequence[dict[str, Any]], references: dict[int, str]) -> list[PublicDecision]:
    """A subject's decision rows (all of them, in recording order) as published, void and lifted ones marked."""
    links = rules.history(to_decision(row) for row in rows)
    return [public_decision(row, references, links) for row in rows]


def decision_view(row: dict[str, Any], references: dict[int, str], links: rules.DecisionLinks | None = None) -> dict[str, Any]:
    """A public decision as JSON values, for documents that add fields of their own (open data, the staff dashboard)."""
    return msgspec.to_builtins(public_decision(row, references, links))


async def _history(reader: Writer, subject_kind: str, subject_id: int) -> tuple[list[PublicDecision], list[rules.Decision]]:
    rows = await reader.fetch_all(
        queries.HISTORY, subject_kind, subject_id
    )
    references = {row["id"]: row["reference"] for row in rows}
    return published_history(rows, references), [to_decision(row) for row in rows]


def published_standing(decisions: Sequence[rules.Decision], on: dt.date) -> tuple[rules.Status, Accreditation | None]:
    """A subject's status on a day and the grant covering it, as answers show them."""
    now = rules.standing(decisions, on)
    return now.status, accreditation(now.accreditation)


def status_basis(decisions: Sequence[rules.Decision], on: dt.date) -> StatusBasis | None:
    """The decision behind the status on a day, with that status's first and last day (rules.status_cause)."""
    cause = rules.status_cause(decisions, on)
    return None if cause.decision is None else StatusBasis(cause.decision.reference, cause.since, cause.until)


def json_list(value: Any) -> list[Any]:
    """A JSON list column (names or the registry's vocabulary), whether the driver gives it as text or already decoded."""
    return list(json.loads(value) if isinstance(value, str) else value or [])


@dataclass(frozen=True, slots=True)
class _Published:
    """A decided subject's row, public history, and status, grant and status basis on a day."""

    row: dict[str, Any]
    history: list[PublicDecision]
    status: rules.Status
    grant: Accreditation | None
    basis: StatusBasis | None


async def _published_subject(reader: Writer, statement: str, kind: str, code: str, on: dt.date) -> _Published:
    """A decided subject by code with its history and standing on a day; NotFound when the code names none."""
    row = await reader.fetch_one(statement, code.upper())
    if row is None:
        raise NotFound(f"no {kind} {code.upper()}")
    history, decisions = await _history(reader, kind, row["id"])
    status, grant = published_standing(decisions, on)
    return _Published(row, history, status, grant, status_basis(decisions, on))


async def programme_detail(reader: Writer, code: str, on: dt.date) -> ProgrammeDetail:
    """A programme: provider, design, status today, current grant, history."""
    subject = await _published_subject(reader, queries.PROGRAMME_BY_CODE, "programme", code, on)
    row = subject.row
    provider = None
    if row["provider_code"]:
        provider = ProgrammeProvider(row["provider_code"], row["provider_name"], row["provider_city"], address=row["provider_address"],
                                     postcode=row["provider_postcode"], phone=row["provider_phone"], website=row["provider_website"])
    designs = tuple(
        rules.DesignVersion(d["effective_from"], d["sessions"], d["contact_minutes"], d["recorded_at"], d["id"])
        for d in await reader.fetch_all(queries.DESIGNS_OF_PROGRAMME, row["id"])
    )
    standard = rules.CareStandard(tuple(rules.CareStandardDates(r["in_force_from"], r["strict_from"], r["recorded_at"])
                                        for r in await reader.fetch_all(queries.CARE_STANDARD)))
    today = rules.design_in_force(designs, on)
    below_from = rules.DesignTimeline(designs, row["guidance_type"], row["format"], None).first_below_day(
        max(on, standard.as_known_at().strict_from), dt.date.max)
    return ProgrammeDetail(
        code=row["code"],
        name=row["name"],
        provider=provider,
        guidance_type=row["guidance_type"],
        format=row["format"],
        modes=json_list(row["modes"]),
        # The design in force today (a later version counts from its own first day).
        sessions=today.sessions if today else row["sessions"],
        contact_minutes=today.contact_minutes if today else row["contact_minutes"],
        cities=json_list(row["cities"]),
        status=subject.status,
        status_on=on,
        accreditation=subject.grant,
        history=subject.history,
        status_basis=subject.basis,
        below_care_standard_from=below_from,
    )


async def coach_detail(reader: Writer, registration_number: str, on: dt.date) -> CoachDetail:
    """A coach: name, city, status today, current registration, qualifications, history."""
    subject = await _published_subject(reader, queries.COACH_BY_NUMBER, "coach", registration_number, on)
    row = subject.row
    qualifications = await reader.fetch_all(
        queries.QUALIFICATIONS_OF_COACH,
        row["id"],
    )
    return CoachDetail(
        registration_number=row["registration_number"],
        name=coach_display_name(row),
        initials=row["initials"],
        prefix=row["prefix"],
        surname=row["surname"],
        city=row["city"],
        status=subject.status,
        status_on=on,
        accreditation=subject.grant,
        qualifications=[QualificationView(NamedCode(q["code"], q["name"]), q["completed_on"]) for q in qualifications],
        history=subject.history,
        status_basis=subject.basis,
        agb_code=row["agb_code"],
    )


async def training_detail(reader: Writer, code: str, on: dt.date) -> TrainingDetail:
    """A training: institute, what it qualifies for, status today, current grant, history."""
    subject = await _published_subject(reader, queries.TRAINING_BY_CODE, "training", code, on)
    row = subject.row
    qualified = await reader.fetch_row(queries.QUALIFIED_COACHES, row["id"])
    return TrainingDetail(
        code=row["code"],
        name=row["name"],
        institute=NamedCode(row["institute_code"], row["institute_name"]) if row["institute_code"] else None,
        guidance_types=json_list(row["guidance_types"]),
        formats=json_list(row["formats"]),
        status=subject.status,
        status_on=on,
        accreditation=subject.grant,
        history=subject.history,
        status_basis=subject.basis,
        qualified_coaches=int(qualified["n"]),
    )


async def organisation_detail(reader: Writer, code: str, on: dt.date) -> OrganisationDetail:
    """An organisation with its programmes and trainings and their status today."""
    row = await reader.fetch_one(queries.ORGANISATION_BY_CODE, code.upper())
    if row is None:
        raise NotFound(f"no organisation {code.upper()}")
    offered = []
    for kind, table in queries.OFFERED:
        subjects = await reader.fetch_all(queries.OFFERED_BY[table], row["id"])
        decisions = await reader.fetch_in(
            queries.DECISIONS_OF_SUBJECTS_IN, [s["id"] for s in subjects], kind
        )
        by_subject: dict[int, list[rules.Decision]] = {}
        for decision in sorted(decisions, key=lambda d: d["id"]):
            by_subject.setdefault(decision["subject_id"], []).append(to_decision(decision))
        offered.append(
            [OfferedSubject(s["code"], s["name"], rules.standing(by_subject.get(s["id"], []), on).status) for s in subjects]
        )
    return OrganisationDetail(
        code=row["code"],
        name=row["name"],
        kvk_number=row["kvk_number"],
        agb_code=row["agb_code"],
        city=row["city"],
        programmes=offered[0],
        trainings=offered[1],
        address=row["address"],
        postcode=row["postcode"],
        phone=row["phone"],
        website=row["website"],
        agb_codes=json_list(row["agb_codes"]),
    )


def encode_cursor(decision_id: int) -> str:
    """An opaque position in the change feed."""
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{decision_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The decision id a cursor stands for; 0 for the start."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith(CURSOR_PREFIX) or not (text[len(CURSOR_PREFIX):].isascii() and text[len(CURSOR_PREFIX):].isdigit()):
        raise ValidationFailed([FieldError("after", "is not a cursor this feed gave out")])
    return min(int(text[len(CURSOR_PREFIX):]), LAST_POSITION)


async def codes_and_references(reader: Writer, rows: list[dict[str, Any]]) -> tuple[dict[tuple[str, int], str], dict[int, str]]:
    """For decision rows: each subject's code by (kind, id), and the reference of every decision they name."""
    codes: dict[tuple[str, int], str] = {}
    for kind, sql in queries.SUBJECT_CODES_IN.items():
        for subject in await reader.fetch_in(sql, [row["subject_id"] for row in rows if row["subject_kind"] == kind]):
            codes[(kind, subject["id"])] = subject["code"]
    targets = await reader.fetch_in(queries.REFERENCES_IN, [row["target_id"] for row in rows if row["target_id"]])
    references = {row["id"]: row["reference"] for row in [*rows, *targets]}
    return codes, references


async def subject_links(reader: Writer, rows: list[dict[str, Any]]) -> dict[tuple[str, int], rules.DecisionLinks]:
    """How the decisions of each subject these rows are about refer to each other now (void, lifted), by (kind, id)."""
    grouped: dict[tuple[str, int], list[rules.Decision]] = {}
    for kind in dict.fromkeys(row["subject_kind"] for row in rows):
        ids = [row["subject_id"] for row in rows if row["subject_kind"] == kind]
        for decision in sorted(await reader.fetch_in(queries.DECISIONS_OF_SUBJECTS_IN, ids, kind), key=lambda d: d["id"]):
            grouped.setdefault((kind, decision["subject_id"]), []).append(to_decision(decision))
    return {subject: rules.history(decisions) for subject, decisions in grouped.items()}


async def changes(reader: Writer, after: int, limit: int) -> ChangeFeed:
    """Decisions recorded after a position, in recording order, with the cursor to continue from."""
    rows = await reader.fetch_all(queries.CHANGES_AFTER, after, limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    codes, references = await codes_and_references(reader, rows)
    links = await subject_links(reader, rows)
    items = [
        Change(
            encode_cursor(row["id"]),
            # Subjects are never deleted, so every decision's subject has a code.
            ChangeSubject(row["subject_kind"], codes[(row["subject_kind"], row["subject_id"])]),
            public_decision(row, references, links[(row["subject_kind"], row["subject_id"])]),
        )
        for row in rows
    ]
    last = rows[-1]["id"] if rows else after
    return ChangeFeed(items, encode_cursor(last), has_more)
