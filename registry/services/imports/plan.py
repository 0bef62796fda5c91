"""Bulk import: check a whole document against the registry, then write all of it or nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from piccolo.engine.base import Engine

from registry import rules
from registry.clock import utc_now
from registry.roles import Role
from registry.services.audit import Actor
from registry.services.errors import EditConflict, FieldError, NotFound, ValidationFailed
from registry.services.imports import queries
from registry.services.imports.designs import DesignPlan, check_designs, plan_designs
from registry.services.imports.entities import EntityChange, decoded, plan_qualifications, resolve_entities, rows_by_code
from registry.services.imports.parse import ENTITY_SECTIONS, SUBJECT_SECTION, ParsedDocument, parse_document
from registry.services.imports.write import write_plan
from registry.services.sql import Writer, writing
from registry.services.staff.decisions import PlannedDecision, care_standard_now, plan_decisions

Progress = Callable[[str, int, int], None]
__all__ = ["EntityChange", "ImportPlan", "ImportReport", "PlannedDecision", "import_document"]


@dataclass(slots=True)
class ImportPlan:
    """Everything the import will write."""

    entities: dict[str, list[EntityChange]] = field(default_factory=dict)
    qualifications: list[EntityChange] = field(default_factory=list)
    decisions: list[PlannedDecision] = field(default_factory=list)
    skipped_decisions: int = 0
    designs: DesignPlan = field(default_factory=DesignPlan)

    def has_changes(self) -> bool:
        """True when applying the plan would write anything."""
        changes = [c for section in self.entities.values() for c in section] + self.qualifications
        return bool(self.decisions) or bool(self.designs.new) or any(change.changed for change in changes)


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
        raise ValidationFailed(await _with_plan_errors(engine, parsed, actor, allow_identical_decisions, now, always_new))
    report: ImportReport | None = None
    try:
        async with writing(engine) as writer:
            await _check_versions(writer, expected_versions or {})
            plan, errors = await _plan(writer, parsed, actor, allow_identical_decisions, progress, now, always_new)
            if errors:
                raise ValidationFailed(errors)
            if not plan.has_changes():
                return _unchanged_report(plan, await writer.fetch_one(queries.LAST_DECISION_ID))
            report = await write_plan(writer, plan, actor, progress, now)
            report.applied = apply
            if not apply:
                raise _DryRun()
    except _DryRun:
        pass
    assert report is not None
    return report


async def plan_in(writer: Writer, content: bytes | str, actor: Actor, now: dt.datetime) -> tuple[ImportPlan, list[FieldError]]:
    """Check a document inside the caller's write transaction, writing nothing: its plan and every problem (a proposal's checks)."""
    parsed = parse_document(content)
    if parsed.errors:
        return ImportPlan(), parsed.errors
    return await _plan(writer, parsed, actor, True, lambda stage, done, total: None, now)


async def _with_plan_errors(engine: Engine, parsed: ParsedDocument, actor: Actor, allow_identical: bool, now: dt.datetime | None,
                            always_new: bool) -> list[FieldError]:
    """The field problems and, checked against the register, the problems of what was readable: every error at once, not in rounds.

    A field refused on its own is left out of the check against the register, so it is not reported twice.
    """
    errors = list(parsed.errors)
    if any(error.field == "$" for error in errors):
        return errors
    reported = {error.field for error in errors}
    try:
        async with writing(engine) as writer:
            _plan_found, more = await _plan(writer, parsed, actor, allow_identical, lambda stage, done, total: None, now, always_new)
            errors.extend(error for error in more if error.field not in reported)
            raise _DryRun()
    except _DryRun:
        pass
    return errors


async def _check_versions(writer: Writer, expected: dict[tuple[str, str], int]) -> None:
    """Refuse to overwrite a record that changed since the form showing it was opened."""
    for (section, code), version in expected.items():
        if section == "qualifications":
            coach, training = code.split("/", 1)
            row = await writer.fetch_one(queries.QUALIFICATION_BY_CODES, coach, training)
        else:
            row = await writer.fetch_one(queries.record_by_code(section), code)
        if row is None:
            raise NotFound(f"no {section} record {code}")
        if row["version"] != version:
            raise EditConflict(section, code, decoded(row))


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
        known[section] = await rows_by_code(writer, table, code_column, codes, records)
    await resolve_entities(writer, parsed, known, plan, errors, always_new)
    progress("checking", 1, 3)
    await plan_qualifications(writer, parsed, known, plan, errors)
    progress("checking", 2, 3)
    moment = now or utc_now()
    programmes = plan.entities["programmes"]
    plan.designs = await plan_designs(writer, parsed, programmes, rules.amsterdam_date(moment), moment, errors)
    # Decisions may be about records the same file adds, and the care standard reads a programme's design as the file leaves it.
    planned_subjects = {kind: [change.code for change in plan.entities[section]] for kind, section in SUBJECT_SECTION.items()}
    planned_designs = {change.code: {**(change.existing or {}), **change.after, "design_versions": plan.designs.versions.get(change.code, [])}
                       for change in programmes}
    decisions = await plan_decisions(writer, parsed.decisions, actor, allow_identical, now, planned_subjects, planned_designs)
    plan.decisions, plan.skipped_decisions = decisions.decisions, decisions.skipped
    errors.extend(decisions.errors)
    await check_designs(writer, plan.designs, programmes, decisions, rules.amsterdam_date(moment), actor.role is Role.ADMIN,
                        await care_standard_now(writer), errors)
    progress("checking", 3, 3)
    return plan, errors
