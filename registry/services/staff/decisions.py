"""Recording decisions: one write path for staff forms, the command line and the import.

A decision is read from plain values (an import entry or a form) into a DecisionRequest, checked
against the subject's earlier decisions and the care standard, and written with its audit event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from piccolo.engine.base import Engine

from registry import rules
from registry.clock import utc_now
from registry.messages import N_
from registry.roles import Role
from registry.rules import (
    DECISION_COMMON_FIELDS,
    DECISION_FIELDS,
    DECISION_KIND_FIELDS,
    OVERRIDE_FIELD,
    DecisionKind,
    SubjectKind,
)
from registry.services import values as checks
from registry.services.audit import Actor, AuditAction, AuditEntry, record_events
from registry.services.errors import FieldError, ValidationFailed
from registry.services.sql import Writer, writing
from registry.services.staff import queries
from registry.services.staff.ledger import LedgerEntry, ProgrammeDesign, SubjectLedger, entry_from_row
from registry.services.values import FieldReader

AUDITED_COLUMNS = ("id", "kind", "starts_on", "ends_on", "target_id", "reference", "reason", "internal_note", "override_reason")


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """One decision to record, typed; `target` is the reference of the decision a lift or retraction names."""

    subject_kind: SubjectKind
    code: str
    kind: DecisionKind
    reference: str
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    target: str | None = None
    reason: str = ""
    override_reason: str | None = None
    internal_note: str | None = None  # for staff only, never published
    path: str = "decisions[0]"  # where its problems are reported, as an import document's JSON path


@dataclass(slots=True)
class PlannedDecision:
    """A checked decision about to be recorded, in the order given."""

    path: str
    subject_kind: str
    code: str
    entry: LedgerEntry


@dataclass(slots=True)
class DecisionPlan:
    """The decisions to record, how many were already recorded identically, and the problems found."""

    decisions: list[PlannedDecision] = field(default_factory=list)
    skipped: int = 0
    errors: list[FieldError] = field(default_factory=list)


def read_decision(raw: dict[str, Any], path: str, errors: list[FieldError]) -> DecisionRequest | None:
    """A decision given as plain values, every field checked against its kind; None when any is refused."""
    found = len(errors)
    fields = FieldReader(raw, path, errors)
    fields.take("subject", checks.choice(tuple(SubjectKind)), nullable=False)
    fields.take("code", checks.code, nullable=False)
    fields.take("kind", checks.choice(tuple(DecisionKind)), nullable=False)
    fields.take("reference", checks.text(64), nullable=False)
    fields.take("reason", checks.text(4000, min_length=0, lines=True), nullable=True)
    fields.take("internal_note", checks.text(4000, min_length=0, lines=True), nullable=True)
    for name in ("subject", "code", "kind", "reference"):
        if name not in raw:
            fields.error(name, N_("is required"), "required")
    if fields.values.get("kind") is None:
        fields.reject_unknown(DECISION_COMMON_FIELDS + DECISION_KIND_FIELDS)
        return None
    kind = DecisionKind(fields.values["kind"])
    kind_fields = DECISION_FIELDS[kind]
    for name in raw:
        if name in DECISION_COMMON_FIELDS or name in kind_fields.names:
            continue
        if name not in DECISION_KIND_FIELDS:
            fields.error(name, N_("unknown field"), "unknown_field")
        else:
            errors.append(FieldError.said(f"{path}.{name}", N_("is not a field of a %(kind)s decision"), "unknown_field", kind=str(kind)))
    for name, check, required in ((kind_fields.start, checks.iso_date, True), (kind_fields.end, checks.iso_date, False),
                                 (kind_fields.target, checks.text(64), True)):
        if name is None:
            continue
        fields.take(name, check, nullable=not required)
        if required and name not in raw:
            errors.append(FieldError.said(f"{path}.{name}", N_("is required for a %(kind)s"), "required", kind=str(kind)))
    if kind_fields.may_override:
        fields.take(OVERRIDE_FIELD, checks.text(4000, lines=True), nullable=True)
    values = fields.values
    starts, ends = values.get(kind_fields.start or ""), values.get(kind_fields.end or "")
    if starts is not None and ends is not None and ends < starts:
        errors.append(FieldError.said(f"{path}.{kind_fields.end}", N_("ends before it starts (%(end_field)s %(ends)s is before %(start_field)s %(starts)s)"),
                                      "period_ends_before_start", end_field=kind_fields.end, ends=str(ends), start_field=kind_fields.start,
                                      starts=str(starts)))
    if len(errors) > found:
        return None
    return DecisionRequest(
        subject_kind=SubjectKind(values["subject"]),
        code=values["code"],
        kind=kind,
        reference=values["reference"],
        starts_on=starts,
        ends_on=ends,
        target=values.get(kind_fields.target or ""),
        reason=values.get("reason") or "",
        override_reason=values.get(OVERRIDE_FIELD),
        internal_note=values.get("internal_note") or None,
        path=path,
    )


async def plan_decisions(
    writer: Writer,
    requests: list[DecisionRequest],
    actor: Actor,
    allow_identical: bool,
    now: dt.datetime | None,
    planned_subjects: dict[str, list[str]] | None = None,
    planned_designs: dict[str, dict[str, Any]] | None = None,
) -> DecisionPlan:
    """Check each decision against its subject's earlier ones (stored or given before it) and the care standard.

    `planned_subjects` (subject kind -> codes) and `planned_designs` (programme code -> fields) are what
    the same write adds or changes before the decisions, as an import file does.
    """
    plan = DecisionPlan()
    if not requests:
        return plan
    planned_subjects = planned_subjects or {}
    ledgers: dict[tuple[str, str], SubjectLedger] = {}
    for subject_kind in SubjectKind:
        codes = [request.code for request in requests if request.subject_kind is subject_kind]
        rows = await writer.fetch_in(queries.SUBJECTS_WITH_CODE_IN[subject_kind], codes)
        ids = {row["id"]: row["code"] for row in rows}
        stored = await writer.fetch_in(queries.DECISIONS_OF_SUBJECTS_IN, list(ids), str(subject_kind))
        by_code: dict[str, list[LedgerEntry]] = {code: [] for code in ids.values()}
        for row in stored:
            by_code[ids[row["subject_id"]]].append(entry_from_row(row))
        for code, entries in by_code.items():
            ledgers[(subject_kind, code)] = SubjectLedger(subject_kind, code, entries)
        for code in planned_subjects.get(subject_kind, ()):
            ledgers.setdefault((subject_kind, code), SubjectLedger(subject_kind, code, []))
    programme_codes = [request.code for request in requests if request.subject_kind is SubjectKind.PROGRAMME]
    designs = await _programme_designs(writer, programme_codes, planned_designs or {})
    recorded_on = rules.amsterdam_date(now or dt.datetime.now(dt.timezone.utc))
    may_override = actor.role is Role.ADMIN
    for index, request in enumerate(requests, start=1):
        ledger = ledgers.get((request.subject_kind, request.code))
        if ledger is None:
            plan.errors.append(FieldError.said(f"{request.path}.code", N_("no %(kind)s with code %(code)s in the registry or this file"),
                                               "unknown_subject", kind=str(request.subject_kind), code=request.code))
            continue
        design = designs.get(request.code) if request.subject_kind is SubjectKind.PROGRAMME else None
        entry, problems = ledger.check(request, -index, design, recorded_on, may_override, allow_identical)
        plan.errors.extend(problems)
        if entry is None and not problems:
            plan.skipped += 1
        elif entry is not None:
            ledger.add(entry)
            plan.decisions.append(PlannedDecision(request.path, str(request.subject_kind), request.code, entry))
    return plan


async def care_standard_now(writer: Writer) -> rules.CareStandardDates:
    """The care standard's dates as they stand now (the defaults before an admin changed them)."""
    rows = await writer.fetch_all(queries.CARE_STANDARD)
    return rules.CareStandard(tuple(rules.CareStandardDates(r["in_force_from"], r["strict_from"], r["recorded_at"]) for r in rows)).as_known_at()


async def _programme_designs(writer: Writer, codes: list[str], planned: dict[str, dict[str, Any]]) -> dict[str, ProgrammeDesign]:
    rows = await writer.fetch_in(queries.PROGRAMME_DESIGNS_WITH_CODE_IN, codes)
    merged = {row["code"]: dict(row) for row in rows}
    versions: dict[str, list[rules.DesignVersion]] = {}
    for row in sorted(await writer.fetch_in(queries.DESIGNS_OF_PROGRAMMES_WITH_CODE_IN, codes), key=lambda row: row["id"]):
        versions.setdefault(row["code"], []).append(rules.DesignVersion(row["effective_from"], row["sessions"], row["contact_minutes"],
                                                                        row["recorded_at"], row["id"], row["override_reason"]))
    for code, values in planned.items():
        merged[code] = {**merged.get(code, {}), **values}
    dates = await care_standard_now(writer)
    return {
        # The import hands the versions as the file leaves them; otherwise the stored ones count.
        code: ProgrammeDesign(values["guidance_type"], values["format"], values.get("sessions"), values.get("contact_minutes"),
                              tuple(values.get("design_versions") or versions.get(code, ())), dates)
        for code, values in merged.items()
        if values.get("guidance_type") and values.get("format")
    }


async def last_decision(writer: Writer) -> dict[str, Any] | None:
    """The most recently recorded decision's id and time."""
    return await writer.fetch_one(queries.LAST_DECISION)


async def recording_time(writer: Writer, now: dt.datetime | None = None) -> dt.datetime:
    """Now, but never earlier than the last recorded decision (clocks can step back)."""
    moment = now or utc_now()
    last = await last_decision(writer)
    if last is not None and last["recorded_at"] > moment:
        return last["recorded_at"]
    return moment


async def write_decisions(
    writer: Writer, decisions: list[PlannedDecision], moment: dt.datetime, actor: Actor, subject_ids: dict[tuple[str, str], int] | None = None,
    proposed_by: str | None = None,
) -> list[AuditEntry]:
    """Insert checked decisions (provisional targets made real) and return their audit events; `subject_ids` may name new subjects.

    `proposed_by` names the staff member whose proposal the actor approved (four eyes).
    """
    ids = dict(subject_ids or {})
    for subject_kind in SubjectKind:
        missing = [d.code for d in decisions if d.subject_kind == subject_kind and (subject_kind, d.code) not in ids]
        rows = await writer.fetch_in(queries.SUBJECTS_WITH_CODE_IN[subject_kind], missing)
        ids.update({(str(subject_kind), row["code"]): row["id"] for row in rows})
    real_ids = dict(zip((d.entry.id for d in decisions), await writer.allocate_ids("decision", len(decisions)), strict=True))
    rows, audit = [], []
    for planned in decisions:
        entry = planned.entry
        target = real_ids.get(entry.target_id, entry.target_id) if entry.target_id is not None else None
        row = {
            "id": real_ids[entry.id],
            "subject_kind": planned.subject_kind,
            "subject_id": ids[(planned.subject_kind, planned.code)],
            "kind": str(entry.kind),
            "starts_on": entry.starts_on,
            "ends_on": entry.ends_on,
            "target_id": target,
            "reference": entry.reference,
            "reason": entry.reason,
            "internal_note": entry.internal_note,
            "reason_public": True,
            "override_reason": entry.override_reason,
            "recorded_at": moment,
            "recorded_by": actor.name,
            "proposed_by": proposed_by,
        }
        rows.append(row)
        after = {key: row[key] for key in AUDITED_COLUMNS}
        if proposed_by is not None:
            after["proposed_by"] = proposed_by
        audit.append(AuditEntry(AuditAction.DECISION_RECORD, planned.subject_kind, planned.code, None, after, row=("decision", row["id"])))
    await writer.insert_many("decision", rows)
    return audit


class _DryRun(Exception):
    """Rolls a dry run back once everything has been checked."""


async def record_decisions(
    engine: Engine,
    actor: Actor,
    requests: list[DecisionRequest],
    apply: bool = True,
    allow_identical: bool = False,
    now: dt.datetime | None = None,
) -> int:
    """Check and record decisions all-or-nothing in one write transaction; raises ValidationFailed naming every problem.

    Returns how many were recorded; with apply=False everything is checked and nothing kept.
    """
    recorded = 0
    try:
        async with writing(engine) as writer:
            plan = await plan_decisions(writer, requests, actor, allow_identical, now)
            if plan.errors:
                raise ValidationFailed(plan.errors)
            if not apply:
                raise _DryRun()
            moment = await recording_time(writer, now)
            audit = await write_decisions(writer, plan.decisions, moment, actor)
            await record_events(writer, actor, audit, moment)
            recorded = len(plan.decisions)
    except _DryRun:
        pass
    return recorded
