"""What an import would create and change, record by record, for the staff preview; reads only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from piccolo.engine.base import Engine

from registry.services.audit import Actor
from registry.services.imports.parse import parse_document
from registry.services.imports.plan import EntityChange, _plan
from registry.services.sql import reading

# Columns the import keeps itself (search words, ids), not fields of the file.
HIDDEN_IN_PREVIEW = {"search_text", "places", "id", "version", "organisation_id", "coach_id", "training_id"}


@dataclass(frozen=True, slots=True)
class RecordChange:
    """A record the import would create, or change in the fields named."""

    path: str
    code: str
    new: bool
    fields: tuple[str, ...]
    # (field, stored value, value after the import) for each changed field, as text; a new record's fields have no stored value.
    differences: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class DecisionToRecord:
    """A decision the import would record."""

    path: str
    subject_kind: str
    code: str
    kind: str
    reference: str


@dataclass(slots=True)
class PlannedChanges:
    """Created and changed records per section (file order) and the decisions to record."""

    records: dict[str, list[RecordChange]] = field(default_factory=dict)
    decisions: list[DecisionToRecord] = field(default_factory=list)


def shown(value: Any) -> str:
    """A stored or imported value as the preview writes it: lists joined, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


def _record_change(change: EntityChange) -> RecordChange:
    existing = change.existing or {}
    changed = () if change.existing is None else tuple(key for key, value in change.after.items() if existing.get(key) != value)
    shown_fields = changed if change.existing is not None else tuple(key for key, value in change.after.items() if value not in (None, "", []))
    differences = tuple((key, shown(existing.get(key)), shown(change.after.get(key))) for key in shown_fields if key not in HIDDEN_IN_PREVIEW)
    return RecordChange(change.path, change.code, change.existing is None, changed, differences)


async def planned_changes(engine: Engine, content: bytes | str, actor: Actor) -> PlannedChanges | None:
    """The import's plan for `content` as the registry stands, without writing; None when the file is refused.

    The counts and the refusals come from the dry run of import_document; this only names the records.
    """
    parsed = parse_document(content)
    if parsed.errors:
        return None
    async with reading(engine) as reader:
        plan, errors = await _plan(reader, parsed, actor, True, lambda stage, done, total: None, None)
    if errors:
        return None
    planned = PlannedChanges()
    for section, changes in [*plan.entities.items(), ("qualifications", plan.qualifications)]:
        planned.records[section] = [_record_change(change) for change in changes if change.changed]
    planned.decisions = [
        DecisionToRecord(decision.path, decision.subject_kind, decision.code, str(decision.entry.kind), decision.entry.reference)
        for decision in plan.decisions
    ]
    return planned
