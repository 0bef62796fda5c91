"""Writing a checked import plan: records, qualifications, decisions and their audit events."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Callable

from registry.search_text import search_columns
from registry.services.audit import Actor, AuditAction, AuditEntry, record_events
from registry.services.imports import queries
from registry.services.imports.parse import ENTITY_SECTIONS, SUBJECT_SECTION
from registry.services.sql import Writer, versioned_update_statement
from registry.services.staff.decisions import last_decision, recording_time, write_decisions

if TYPE_CHECKING:
    from registry.services.imports.plan import EntityChange, ImportPlan, ImportReport

CREATE_ACTIONS = {
    "organisations": (AuditAction.ORGANISATION_CREATE, AuditAction.ORGANISATION_UPDATE, "organisation"),
    "trainings": (AuditAction.TRAINING_CREATE, AuditAction.TRAINING_UPDATE, "training"),
    "programmes": (AuditAction.PROGRAMME_CREATE, AuditAction.PROGRAMME_UPDATE, "programme"),
    "coaches": (AuditAction.COACH_CREATE, AuditAction.COACH_UPDATE, "coach"),
}
JSON_COLUMNS = {"guidance_types", "formats", "modes", "cities", "agb_codes"}


async def write_plan(
    writer: Writer, plan: "ImportPlan", actor: Actor, progress: Callable[[str, int, int], None], now: dt.datetime | None,
    proposed_by: str | None = None,
) -> "ImportReport":
    """Write every change of the plan inside the caller's transaction; `proposed_by` names whose proposal the actor approved."""
    from registry.services.imports.plan import ImportReport

    moment = await recording_time(writer, now)
    audit: list[AuditEntry] = []
    created: dict[str, int] = {}
    updated: dict[str, int] = {}
    unchanged: dict[str, int] = {}
    ids: dict[str, dict[str, int]] = {}
    steps = len(ENTITY_SECTIONS) + 2
    for step, (section, (table, _code_column, _prefix, _required)) in enumerate(ENTITY_SECTIONS.items(), start=1):
        changes = plan.entities[section]
        ids[section] = await _ids_by_code(writer, section, [c.code for c in changes])
        new = [c for c in changes if c.existing is None]
        changed = [c for c in changes if c.existing is not None and c.changed]
        for change, new_id in zip(new, await writer.allocate_ids(table, len(new)), strict=True):
            ids[section][change.code] = new_id
        organisation_ids = ids.get("organisations", {})
        await _insert_grouped(writer, table, [_row(c, ids[section][c.code], organisation_ids, moment, True) for c in new])
        await _update_grouped(writer, table, [_row(c, ids[section][c.code], organisation_ids, moment, False) for c in changed])
        if section == "organisations":
            await _write_agb_codes(writer, [c for c in new + changed if _agb_codes_changed(c)], ids[section])
        create_action, update_action, kind = CREATE_ACTIONS[section]
        audit.extend(AuditEntry(create_action, kind, c.code, None, c.after, row=(table, ids[section][c.code])) for c in new)
        audit.extend(AuditEntry(update_action, kind, c.code, _before(c), c.after, row=(table, ids[section][c.code])) for c in changed)
        created[section], updated[section] = len(new), len(changed)
        unchanged[section] = len(changes) - len(new) - len(changed)
        progress("writing", step, steps)
    await _write_scopes(writer, plan, ids, moment, actor)
    await _write_designs(writer, plan, ids["programmes"], moment, actor, audit, proposed_by)
    await _write_qualifications(writer, plan, ids, moment, audit, created, updated, unchanged, actor)
    subject_ids = {(kind, code): id_ for kind, section in SUBJECT_SECTION.items() for code, id_ in ids[section].items()}
    audit.extend(await write_decisions(writer, plan.decisions, moment, actor, subject_ids, proposed_by))
    recorded = len(plan.decisions)
    progress("writing", steps - 1, steps)
    audit.append(
        AuditEntry(
            AuditAction.IMPORT_APPLY,
            after={"created": created, "updated": updated, "decisions_recorded": recorded, "decisions_skipped": plan.skipped_decisions},
        )
    )
    await record_events(writer, actor, audit, moment)
    progress("writing", steps, steps)
    last = await last_decision(writer)
    new_codes = {section: [c.code for c in changes if c.existing is None] for section, changes in plan.entities.items()}
    return ImportReport(created, updated, unchanged, recorded, plan.skipped_decisions, last["id"] if last else 0, True, new_codes)


async def _ids_by_code(writer: Writer, section: str, codes: list[str]) -> dict[str, int]:
    rows = await writer.fetch_in(queries.ids_with_code_in(section), codes)
    return {row["code"]: row["id"] for row in rows}


def _row(change: "EntityChange", row_id: int, organisation_ids: dict[str, int], moment: dt.datetime, new: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"id": row_id}
    for key, value in change.after.items():
        if key == "organisation":
            value = organisation_ids.get(value) if value else None
        elif key in JSON_COLUMNS:
            value = json.dumps(value, ensure_ascii=False)
        row[key] = value
    table = ENTITY_SECTIONS[change.section][0]
    row.update(search_columns(table, {**(change.existing or {}), **change.after}))
    row["updated_at"] = moment
    if new:
        row["created_at"] = moment
    return row


def _agb_codes_changed(change: "EntityChange") -> bool:
    return "agb_codes" in change.after and (change.existing is None or change.existing.get("agb_codes") != change.after["agb_codes"])


async def _write_agb_codes(writer: Writer, changes: list["EntityChange"], ids: dict[str, int]) -> None:
    """The lookup rows of organisations whose AGB codes changed: all removed first, so a code may move between them."""
    if not changes:
        return
    await writer.execute_many(queries.DELETE_ORGANISATION_AGB_CODES, [(ids[c.code],) for c in changes])
    await writer.execute_many(queries.INSERT_ORGANISATION_AGB_CODE, [
        (agb, ids[c.code], position) for c in changes for position, agb in enumerate(c.after["agb_codes"])
    ])


def _before(change: "EntityChange") -> dict[str, Any]:
    existing = change.existing or {}
    return {key: existing.get(key) for key in change.after}


async def _insert_grouped(writer: Writer, table: str, rows: list[dict[str, Any]]) -> None:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(row)].append(row)
    for group in groups.values():
        await writer.insert_many(table, group)


async def _update_grouped(writer: Writer, table: str, rows: list[dict[str, Any]]) -> None:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(key for key in row if key != "id")].append(row)
    for columns, group in groups.items():
        await writer.execute_many(
            versioned_update_statement(table, columns),
            (tuple(row[column] for column in columns) + (row["id"],) for row in group),
        )


async def _write_qualifications(
    writer: Writer,
    plan: "ImportPlan",
    ids: dict[str, dict[str, int]],
    moment: dt.datetime,
    audit: list[AuditEntry],
    created: dict[str, int],
    updated: dict[str, int],
    unchanged: dict[str, int],
    actor: Actor,
) -> None:
    changes = plan.qualifications
    coach_codes = [c.code.split("/", 1)[0] for c in changes]
    rows = await writer.fetch_in(queries.COACH_IDS_WITH_NUMBER_IN, coach_codes)
    coach_ids = {row["code"]: row["id"] for row in rows}
    training_rows = await writer.fetch_all(queries.TRAINING_IDS)
    training_ids = {row["code"]: row["id"] for row in training_rows}
    new = [c for c in changes if c.existing is None]
    changed = [c for c in changes if c.existing is not None and c.changed]
    inserts = []
    new_ids = await writer.allocate_ids("qualification", len(new))
    for change, new_id in zip(new, new_ids, strict=True):
        coach, training = change.code.split("/", 1)
        inserts.append(
            {
                "id": new_id,
                "coach": coach_ids[coach],
                "training": training_ids[training],
                "completed_on": change.after["completed_on"],
                "certificate": change.after.get("certificate"),
                "recorded_at": moment,
                "updated_at": moment,
            }
        )
    await writer.insert_many("qualification", inserts)
    versions = [_qualification_version(row["id"], row["completed_on"], row["certificate"], moment, actor) for row in inserts]
    changed_ids = []
    for change in changed:
        coach, training = change.code.split("/", 1)
        await writer.execute(
            queries.UPDATE_QUALIFICATION,
            change.after["completed_on"],
            change.after.get("certificate"),
            moment,
            coach_ids[coach],
            training_ids[training],
        )
        row = await writer.fetch_row(queries.QUALIFICATION_ID, coach_ids[coach], training_ids[training])
        versions.append(_qualification_version(row["id"], change.after["completed_on"], change.after.get("certificate"), moment, actor,
                                               withdrawn=change.after.get("withdrawn", False)))
        changed_ids.append(row["id"])
    # Every state of a qualification is kept as a version, so an answer as known at a past time reads it as it stood then.
    await writer.insert_many("qualification_version", versions)
    audit.extend(AuditEntry(AuditAction.QUALIFICATION_CREATE, "coach", c.code.split("/", 1)[0], None, c.after, row=("qualification", new_id))
                 for c, new_id in zip(new, new_ids, strict=True))
    audit.extend(AuditEntry(_qualification_action(c), "coach", c.code.split("/", 1)[0], c.existing, c.after, row=("qualification", row_id))
                 for c, row_id in zip(changed, changed_ids, strict=True))
    created["qualifications"], updated["qualifications"] = len(new), len(changed)
    unchanged["qualifications"] = len(changes) - len(new) - len(changed)


def _qualification_version(
    qualification: int, completed_on: Any, certificate: Any, moment: dt.datetime, actor: Actor, withdrawn: bool = False
) -> dict[str, Any]:
    return {"qualification": qualification, "completed_on": completed_on, "certificate": certificate, "withdrawn": withdrawn,
            "recorded_at": moment, "recorded_by": actor.name}


def _qualification_action(change: "EntityChange") -> AuditAction:
    """A withdrawal is its own kind of event; a correction or adding a withdrawn one back is an update."""
    withdrawing = change.after.get("withdrawn") and not (change.existing or {}).get("withdrawn")
    return AuditAction.QUALIFICATION_WITHDRAW if withdrawing else AuditAction.QUALIFICATION_UPDATE


async def _write_scopes(writer: Writer, plan: "ImportPlan", ids: dict[str, dict[str, int]], moment: dt.datetime, actor: Actor) -> None:
    """A version of a programme's or training's guidance types and formats whenever they are new or differ."""
    programme_rows, training_rows = [], []
    for change in plan.entities["programmes"]:
        old, new = change.existing or {}, {**(change.existing or {}), **change.after}
        if change.existing is None or (old.get("guidance_type"), old.get("format")) != (new.get("guidance_type"), new.get("format")):
            programme_rows.append({"programme": ids["programmes"][change.code], "guidance_type": new["guidance_type"], "format": new["format"],
                                   "recorded_at": moment, "recorded_by": actor.name})
    for change in plan.entities["trainings"]:
        old, new = change.existing or {}, {**(change.existing or {}), **change.after}
        if change.existing is None or any(set(old.get(name) or ()) != set(new.get(name) or ()) for name in ("guidance_types", "formats")):
            training_rows.append({"training": ids["trainings"][change.code], "guidance_types": json.dumps(new.get("guidance_types") or []),
                                  "formats": json.dumps(new.get("formats") or []), "recorded_at": moment, "recorded_by": actor.name})
    await writer.insert_many("programme_scope", programme_rows)
    await writer.insert_many("training_scope", training_rows)


async def _write_designs(
    writer: Writer, plan: "ImportPlan", programme_ids: dict[str, int], moment: dt.datetime, actor: Actor, audit: list[AuditEntry],
    proposed_by: str | None = None,
) -> None:
    """Append the new design versions, each with its audit event (the proposer named when approved); columns follow the newest."""
    rows = []
    for planned in plan.designs.new:
        version = planned.version
        rows.append({"programme": programme_ids[planned.code], "effective_from": version.effective_from, "sessions": version.sessions,
                     "contact_minutes": version.contact_minutes, "override_reason": version.override_reason, "recorded_at": moment,
                     "recorded_by": actor.name})
        if planned.audited_apart:
            # The programme's columns follow its newest design (below): this event seals the row as it ends up.
            after = {key: rows[-1][key] for key in ("effective_from", "sessions", "contact_minutes", "override_reason")}
            if proposed_by is not None:
                after["proposed_by"] = proposed_by
            audit.append(AuditEntry(AuditAction.PROGRAMME_DESIGN_RECORD, "programme", planned.code, None, after,
                                    row=("programme", programme_ids[planned.code])))
    await writer.insert_many("programme_design", rows)
    for code in dict.fromkeys(planned.code for planned in plan.designs.new):
        newest = max(plan.designs.versions[code], key=lambda v: (v.effective_from, v.recorded_at, v.id if v.id > 0 else 10**15 - v.id))
        await writer.execute(queries.UPDATE_PROGRAMME_DESIGN, newest.sessions, newest.contact_minutes, programme_ids[code])
