"""Bulk import: check a whole document against the registry, then write all of it or nothing."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from piccolo.engine.base import Engine

from registry import rules
from registry.messages import N_
from registry.roles import Role
from registry.services.audit import Actor
from registry.services.errors import EditConflict, FieldError, NotFound, ValidationFailed
from registry.services.imports.ledger import LedgerEntry, ProgrammeDesign, SubjectLedger, entry_from_row
from registry.services.imports.parse import (
    ENTITY_SECTIONS,
    JSON_LIST_FIELDS,
    SUBJECT_SECTION,
    ParsedDocument,
    Record,
    parse_document,
)
from registry.services.imports.write import write_plan
from registry.services.sql import Writer, writing

Progress = Callable[[str, int, int], None]



@dataclass(slots=True)
class EntityChange:
    """One record the import creates or changes, with its state before and after."""

    section: str
    path: str
    code: str
    existing: dict[str, Any] | None
    after: dict[str, Any]

    @property
    def changed(self) -> bool:
        """True when the record is new or differs from what is stored."""
        return self.existing is None or any(self.existing.get(k) != v for k, v in self.after.items())


@dataclass(slots=True)
class PlannedDecision:
    """A decision the import will record, in file order."""

    path: str
    subject_kind: str
    code: str
    entry: LedgerEntry


@dataclass(slots=True)
class ImportPlan:
    """Everything the import will write."""

    entities: dict[str, list[EntityChange]] = field(default_factory=dict)
    qualifications: list[EntityChange] = field(default_factory=list)
    decisions: list[PlannedDecision] = field(default_factory=list)
    skipped_decisions: int = 0

    def has_changes(self) -> bool:
        """True when applying the plan would write anything."""
        changes = [c for section in self.entities.values() for c in section] + self.qualifications
        return bool(self.decisions) or any(change.changed for change in changes)


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    decisions_recorded: int
    decisions_skipped: int
    data_version: int
    applied: bool
    # section -> codes of the records this import creates, in file order (staff pages go on to the new record).
    new_codes: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able summary."""
        return {
            "applied": self.applied,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "decisions_recorded": self.decisions_recorded,
            "decisions_skipped": self.decisions_skipped,
            "data_version": self.data_version,
        }


def _unchanged_report(plan: ImportPlan, last: dict[str, Any] | None) -> ImportReport:
    """The report of an import that changes nothing, so nothing is written (not even audit)."""
    sections = [*plan.entities, "qualifications"]
    counts = {section: len(plan.entities.get(section, plan.qualifications)) for section in sections}
    return ImportReport(
        created={section: 0 for section in sections},
        updated={section: 0 for section in sections},
        unchanged=counts,
        decisions_recorded=0,
        decisions_skipped=plan.skipped_decisions,
        data_version=last["id"] if last else 0,
        applied=False,
    )


class _DryRun(Exception):
    """Rolls a dry run back once everything has been checked and written."""


async def import_document(
    engine: Engine,
    content: bytes | str,
    actor: Actor,
    apply: bool = True,
    allow_identical_decisions: bool = True,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    expected_versions: dict[tuple[str, str], int] | None = None,
    always_new: bool = False,
) -> ImportReport:
    """Import a document all-or-nothing; raises ValidationFailed listing every problem.

    `expected_versions` maps (section, code) to the version a staff member's form was based on;
    a record changed since then raises EditConflict and nothing is written (optimistic locking).
    `always_new` creates every code-less record instead of matching it to a stored one (a staff "new" form).
    """
    progress = progress or (lambda stage, done, total: None)
    parsed = parse_document(content)
    if parsed.errors:
        raise ValidationFailed(parsed.errors)
    report: ImportReport | None = None
    try:
        async with writing(engine) as writer:
            await _check_versions(writer, expected_versions or {})
            plan, errors = await _plan(writer, parsed, actor, allow_identical_decisions, progress, now, always_new)
            if errors:
                raise ValidationFailed(errors)
            if not plan.has_changes():
                return _unchanged_report(plan, await writer.fetch_one("SELECT id FROM decision ORDER BY id DESC LIMIT 1"))
            report = await write_plan(writer, plan, actor, progress, now)
            report.applied = apply
            if not apply:
                raise _DryRun()
    except _DryRun:
        pass
    assert report is not None
    return report


async def _check_versions(writer: Writer, expected: dict[tuple[str, str], int]) -> None:
    """Refuse to overwrite a record that changed since the form showing it was opened."""
    for (section, code), version in expected.items():
        if section == "qualifications":
            coach, training = code.split("/", 1)
            row = await writer.fetch_one(
                "SELECT q.* FROM qualification q JOIN coach c ON c.id = q.coach JOIN training t ON t.id = q.training "
                "WHERE c.registration_number = ? AND t.code = ?", coach, training)
        else:
            table, code_column = ENTITY_SECTIONS[section][0], ENTITY_SECTIONS[section][1]
            row = await writer.fetch_one(f'SELECT * FROM "{table}" WHERE {code_column} = ?', code)
        if row is None:
            raise NotFound(f"no {section} record {code}")
        if row["version"] != version:
            raise EditConflict(section, code, _decoded(row))


async def _plan(
    writer: Writer,
    parsed: ParsedDocument,
    actor: Actor,
    allow_identical: bool,
    progress: Progress,
    now: dt.datetime | None,
    always_new: bool = False,
) -> tuple[ImportPlan, list[FieldError]]:
    errors: list[FieldError] = []
    plan = ImportPlan()
    known: dict[str, dict[str, dict[str, Any]]] = {}
    for section, (table, code_column, _prefix, _required) in ENTITY_SECTIONS.items():
        records = parsed.sections[section]
        codes = [record.get(code_column) for record in records if record.get(code_column)]
        known[section] = await _rows_by_code(writer, table, code_column, codes, records)
    await _resolve_entities(writer, parsed, known, plan, errors, always_new)
    progress("checking", 1, 3)
    await _plan_qualifications(writer, parsed, known, plan, errors)
    progress("checking", 2, 3)
    await _plan_decisions(writer, parsed, known, plan, errors, actor, allow_identical, now)
    progress("checking", 3, 3)
    return plan, errors


async def _rows_by_code(
    writer: Writer, table: str, code_column: str, codes: list[str], records: list[Record]
) -> dict[str, dict[str, Any]]:
    rows = await writer.fetch_in(f'SELECT * FROM "{table}" WHERE {code_column} IN', codes)
    return {row[code_column]: _decoded(row) for row in rows}


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    return {key: json.loads(value) if key in JSON_LIST_FIELDS and isinstance(value, str) else value for key, value in row.items()}


async def _resolve_entities(
    writer: Writer,
    parsed: ParsedDocument,
    known: dict[str, dict[str, dict[str, Any]]],
    plan: ImportPlan,
    errors: list[FieldError],
    always_new: bool = False,
) -> None:
    """Match each record to a stored one (by code, or natural key), merge, and check references."""
    organisation_codes = await _organisation_codes(writer, parsed, known)
    for section, (table, code_column, prefix, required) in ENTITY_SECTIONS.items():
        changes: list[EntityChange] = []
        seen: dict[str, str] = {}
        next_number = None
        for record in parsed.sections[section]:
            code = record.get(code_column)
            if code is None and not always_new:
                code = await _natural_match(writer, section, record)
                if code is not None and code not in known[section]:
                    known[section].update(await _rows_by_code(writer, table, code_column, [code], []))
            if code is None:
                if next_number is None:
                    next_number = await _next_code_number(writer, table, code_column, prefix, parsed, section)
                code, next_number = f"{prefix}{next_number:06d}", next_number + 1
            if code in seen:
                errors.append(FieldError.said(f"{record.path}.{code_column}", N_("%(code)s is also given at %(path)s"), "duplicate", code=code, path=seen[code]))
                continue
            seen[code] = record.path
            existing = known[section].get(code)
            if existing is not None and "organisation" in existing:
                existing = {**existing, "organisation": organisation_codes.get(existing["organisation"])}
            if existing is None:
                for name in required:
                    if record.get(name) is None:
                        errors.append(FieldError.said(f"{record.path}.{name}", N_("is required for a new record"), "required"))
            after = {code_column: code, **{k: v for k, v in record.values.items() if k != code_column}}
            organisation = after.get("organisation")
            if organisation and organisation not in organisation_codes.values():
                errors.append(FieldError.said(f"{record.path}.organisation", N_("no organisation with code %(code)s in the registry or this file"),
                                              "unknown_reference", code=organisation))
            if section == "programmes" and existing is not None and "organisation" in record.values and organisation is None:
                errors.append(FieldError.said(f"{record.path}.organisation", N_("a programme must have a provider"), "required"))
            changes.append(EntityChange(section, record.path, code, existing, after))
        plan.entities[section] = changes
    await _check_coach_agb_codes(writer, plan.entities["coaches"], errors)


async def _organisation_codes(
    writer: Writer, parsed: ParsedDocument, known: dict[str, dict[str, dict[str, Any]]]
) -> dict[int | str, str]:
    """Organisation id -> code for stored ones, and code -> code for those the file adds."""
    rows = await writer.fetch_all("SELECT id, code FROM organisation")
    codes: dict[int | str, str] = {row["id"]: row["code"] for row in rows}
    for record in parsed.sections["organisations"]:
        if record.get("code"):
            codes[record.get("code")] = record.get("code")
    return codes


async def _natural_match(writer: Writer, section: str, record: Record) -> str | None:
    """A stored record that a code-less entry means, so a re-import changes nothing."""
    if section == "organisations":
        for column in ("kvk_number", "agb_code"):
            if record.get(column):
                row = await writer.fetch_one(f"SELECT code FROM organisation WHERE {column} = ? ORDER BY id", record.get(column))
                if row:
                    return row["code"]
    elif section == "coaches" and record.get("agb_code"):
        row = await writer.fetch_one("SELECT registration_number FROM coach WHERE agb_code = ?", record.get("agb_code"))
        return row["registration_number"] if row else None
    elif section in ("trainings", "programmes") and record.get("name"):
        table = ENTITY_SECTIONS[section][0]
        row = await writer.fetch_one(
            f'SELECT t.code FROM "{table}" t LEFT JOIN organisation o ON o.id = t.organisation '
            "WHERE t.name = ? AND COALESCE(o.code, '') = ? ORDER BY t.id",
            record.get("name"),
            record.get("organisation") or "",
        )
        return row["code"] if row else None
    return None


async def _next_code_number(
    writer: Writer, table: str, code_column: str, prefix: str, parsed: ParsedDocument, section: str
) -> int:
    rows = await writer.fetch_all(f'SELECT {code_column} AS code FROM "{table}" WHERE {code_column} LIKE ?', f"{prefix}%")
    codes = [row["code"] for row in rows] + [r.get(code_column) for r in parsed.sections[section] if r.get(code_column)]
    numbers = [int(code[len(prefix):]) for code in codes if code.startswith(prefix) and code[len(prefix):].isdigit()]
    return max(numbers, default=0) + 1


async def _check_coach_agb_codes(writer: Writer, coaches: list[EntityChange], errors: list[FieldError]) -> None:
    """An AGB code identifies at most one coach, across the file and the registry."""
    holder: dict[str, EntityChange] = {}
    for change in coaches:
        agb = change.after.get("agb_code", (change.existing or {}).get("agb_code"))
        if not agb:
            continue
        if agb in holder:
            errors.append(FieldError.said(f"{change.path}.agb_code", N_("AGB code %(agb)s is also given to %(code)s at %(path)s"), "duplicate",
                                          agb=agb, code=holder[agb].code, path=holder[agb].path))
        holder[agb] = change
    in_file = {change.code for change in coaches}
    rows = await writer.fetch_in("SELECT registration_number, agb_code FROM coach WHERE agb_code IN", list(holder))
    for row in rows:
        change = holder[row["agb_code"]]
        if row["registration_number"] != change.code and row["registration_number"] not in in_file:
            errors.append(FieldError.said(f"{change.path}.agb_code", N_("AGB code %(agb)s already identifies coach %(code)s"), "agb_code_taken",
                                          agb=row["agb_code"], code=row["registration_number"]))


async def _plan_qualifications(
    writer: Writer,
    parsed: ParsedDocument,
    known: dict[str, dict[str, dict[str, Any]]],
    plan: ImportPlan,
    errors: list[FieldError],
) -> None:
    records = parsed.sections["qualifications"]
    coaches = await _codes_present(writer, "coach", "registration_number", [r.get("coach") for r in records], plan, "coaches")
    trainings = await _codes_present(writer, "training", "code", [r.get("training") for r in records], plan, "trainings")
    rows = await writer.fetch_in(
        "SELECT q.*, c.registration_number AS coach_code, t.code AS training_code FROM qualification q "
        "JOIN coach c ON c.id = q.coach JOIN training t ON t.id = q.training WHERE c.registration_number IN",
        [r.get("coach") for r in records if r.get("coach")],
    )
    stored = {(row["coach_code"], row["training_code"]): row for row in rows}
    seen: dict[tuple[str, str], str] = {}
    for record in records:
        coach, training = record.get("coach"), record.get("training")
        if coach and coach not in coaches:
            errors.append(FieldError.said(f"{record.path}.coach", N_("no coach with registration number %(code)s in the registry or this file"),
                                          "unknown_reference", code=coach))
        if training and training not in trainings:
            errors.append(FieldError.said(f"{record.path}.training", N_("no training with code %(code)s in the registry or this file"),
                                          "unknown_reference", code=training))
        key = (coach, training)
        if key in seen:
            errors.append(FieldError.said(record.path, N_("coach %(coach)s and training %(training)s are also given at %(path)s"), "duplicate",
                                          coach=coach, training=training, path=seen[key]))
            continue
        seen[key] = record.path
        existing = stored.get(key)
        after = {"completed_on": record.get("completed_on"), "certificate": record.get("certificate", (existing or {}).get("certificate"))}
        before = None if existing is None else {"completed_on": existing["completed_on"], "certificate": existing["certificate"]}
        plan.qualifications.append(EntityChange("qualifications", record.path, f"{coach}/{training}", before, {"coach": coach, "training": training, **after} if before is None else after))


async def _codes_present(writer: Writer, table: str, column: str, codes: list[Any], plan: ImportPlan, section: str) -> set[str]:
    rows = await writer.fetch_in(f'SELECT {column} AS code FROM "{table}" WHERE {column} IN', [c for c in codes if c])
    return {row["code"] for row in rows} | {change.code for change in plan.entities[section]}


async def _plan_decisions(
    writer: Writer,
    parsed: ParsedDocument,
    known: dict[str, dict[str, dict[str, Any]]],
    plan: ImportPlan,
    errors: list[FieldError],
    actor: Actor,
    allow_identical: bool,
    now: dt.datetime | None,
) -> None:
    records = parsed.sections["decisions"]
    if not records:
        return
    subjects: dict[tuple[str, str], SubjectLedger] = {}
    designs = await _programme_designs(writer, plan, [r.get("code") for r in records if r.get("subject") == "programme"])
    for subject_kind, section in SUBJECT_SECTION.items():
        table, code_column = ENTITY_SECTIONS[section][0], ENTITY_SECTIONS[section][1]
        codes = [r.get("code") for r in records if r.get("subject") == subject_kind]
        rows = await writer.fetch_in(f'SELECT id, {code_column} AS code FROM "{table}" WHERE {code_column} IN', codes)
        ids = {row["id"]: row["code"] for row in rows}
        stored = await writer.fetch_in(f"SELECT * FROM decision WHERE subject_kind = '{subject_kind}' AND subject_id IN", list(ids))
        by_code: dict[str, list[LedgerEntry]] = {code: [] for code in ids.values()}
        for row in stored:
            by_code[ids[row["subject_id"]]].append(entry_from_row(row))
        for code, entries in by_code.items():
            subjects[(subject_kind, code)] = SubjectLedger(subject_kind, code, entries)
        for change in plan.entities[section]:
            subjects.setdefault((subject_kind, change.code), SubjectLedger(subject_kind, change.code, []))
    recorded_on = rules.amsterdam_date(now or dt.datetime.now(dt.timezone.utc))
    may_override = actor.role is Role.ADMIN
    for index, record in enumerate(records, start=1):
        key = (record.get("subject"), record.get("code"))
        ledger = subjects.get(key)
        if ledger is None:
            errors.append(FieldError.said(f"{record.path}.code", N_("no %(kind)s with code %(code)s in the registry or this file"), "unknown_subject",
                                          kind=key[0], code=key[1]))
            continue
        design = designs.get(key[1]) if key[0] == "programme" else None
        entry, problems = ledger.check(record.values, record.path, -index, design, recorded_on, may_override, allow_identical)
        errors.extend(problems)
        if entry is None and not problems:
            plan.skipped_decisions += 1
        elif entry is not None:
            ledger.add(entry)
            plan.decisions.append(PlannedDecision(record.path, key[0], key[1], entry))


async def _programme_designs(writer: Writer, plan: ImportPlan, codes: list[str]) -> dict[str, ProgrammeDesign]:
    rows = await writer.fetch_in("SELECT code, guidance_type, format, sessions, contact_minutes FROM programme WHERE code IN", codes)
    merged = {row["code"]: dict(row) for row in rows}
    for change in plan.entities["programmes"]:
        merged[change.code] = {**merged.get(change.code, {}), **change.after}
    return {
        code: ProgrammeDesign(values["guidance_type"], values["format"], values.get("sessions"), values.get("contact_minutes"))
        for code, values in merged.items()
        if values.get("guidance_type") and values.get("format")
    }
