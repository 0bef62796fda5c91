"""A programme's design history in an import: versions appended when not yet stored, never rewritten in place."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from registry import rules
from registry.messages import N_
from registry.services.errors import FieldError
from registry.services.imports import queries
from registry.services.imports.parse import DesignEntry, ParsedDocument
from registry.services.sql import Writer

if TYPE_CHECKING:
    from registry.services.imports.entities import EntityChange
    from registry.services.staff.decisions import DecisionPlan

DESIGN_FIELDS = ("sessions", "contact_minutes")


@dataclass(slots=True)
class PlannedDesign:
    """A design version the import appends to a programme."""

    code: str
    path: str
    version: rules.DesignVersion
    audited_apart: bool = True  # a new programme's first design is in its creation's audit event


@dataclass(slots=True)
class DesignPlan:
    """Per programme code: every design version (stored, then planned), and the new ones to write."""

    versions: dict[str, list[rules.DesignVersion]] = field(default_factory=dict)
    new: list[PlannedDesign] = field(default_factory=list)


def _version(row: dict[str, Any]) -> rules.DesignVersion:
    return rules.DesignVersion(row["effective_from"], row["sessions"], row["contact_minutes"], row["recorded_at"], row["id"],
                               row["override_reason"])


def _same(version: rules.DesignVersion, entry: rules.DesignVersion) -> bool:
    return (version.effective_from, version.sessions, version.contact_minutes) == (entry.effective_from, entry.sessions, entry.contact_minutes)


async def plan_designs(
    writer: Writer, parsed: ParsedDocument, changes: list["EntityChange"], today: dt.date, moment: dt.datetime, errors: list[FieldError]
) -> DesignPlan:
    """The design versions the file adds; top-level sessions/minutes of a stored programme must match today's design."""
    plan = DesignPlan()
    records = {record.path: record for record in parsed.sections["programmes"]}
    stored_codes = [change.code for change in changes if change.existing is not None]
    for row in sorted(await writer.fetch_in(queries.DESIGNS_OF_PROGRAMMES_WITH_CODE_IN, stored_codes), key=lambda row: row["id"]):
        plan.versions.setdefault(row["code"], []).append(_version(row))
    provisional = 0
    for change in changes:
        record = records.get(change.path)
        entries: list[DesignEntry] = record.designs if record is not None else []
        versions = plan.versions.setdefault(change.code, [])
        given = {name: change.after[name] for name in DESIGN_FIELDS if name in change.after}
        new_versions: list[tuple[str, rules.DesignVersion]] = []
        if change.existing is None and (given or not entries):
            new_versions.append((change.path, rules.DesignVersion(rules.EARLIEST_DAY, given.get("sessions"), given.get("contact_minutes"), moment)))
        for entry in entries:
            new_versions.append((entry.path, rules.DesignVersion(entry.effective_from, entry.sessions, entry.contact_minutes, moment,
                                                                 override_reason=entry.override_reason)))
        for path, version in new_versions:
            if any(_same(stored, version) for stored in versions):
                continue  # already recorded: re-importing changes nothing
            provisional -= 1
            version = rules.DesignVersion(version.effective_from, version.sessions, version.contact_minutes, moment, provisional,
                                          version.override_reason)
            versions.append(version)
            plan.new.append(PlannedDesign(change.code, path, version, audited_apart=path != change.path))
        if change.existing is not None and given:
            in_force = rules.design_in_force(versions, today)
            current = {"sessions": in_force.sessions if in_force else None, "contact_minutes": in_force.contact_minutes if in_force else None}
            if any(current[name] != value for name, value in given.items()):
                errors.append(FieldError.said(
                    f"{change.path}.designs",
                    N_("sessions and contact_minutes differ from the design in force today (%(sessions)s sessions, %(minutes)s minutes): "
                       "a design is never changed in place; add a new one under designs with the first day of care it describes"),
                    "design_in_place", sessions=str(current["sessions"]), minutes=str(current["contact_minutes"])))
            # A stored programme's columns follow its versions (written below), never the top level.
            for name in DESIGN_FIELDS:
                change.after.pop(name, None)
    return plan


async def check_designs(
    writer: Writer,
    design_plan: DesignPlan,
    changes: list["EntityChange"],
    decisions: "DecisionPlan",
    recorded_on: dt.date,
    may_override: bool,
    dates: rules.CareStandardDates,
    errors: list[FieldError],
) -> None:
    """Each new version below the minimum, from in_force_from, of a programme whose grant reaches in_force_from is refused."""
    if not design_plan.new:
        return
    by_code = {change.code: change for change in changes}
    codes = sorted({planned.code for planned in design_plan.new})
    history: dict[str, list[rules.Decision]] = {}
    for row in await writer.fetch_in(queries.DECISIONS_OF_PROGRAMMES_WITH_CODE_IN, codes):
        history.setdefault(row["code"], []).append(rules.Decision(row["id"], rules.DecisionKind(row["kind"]), row["recorded_at"],
                                                                  row["starts_on"], row["ends_on"], row["target_id"], row["reference"]))
    for planned in decisions.decisions:
        if planned.subject_kind == "programme":
            entry = planned.entry
            history.setdefault(planned.code, []).append(rules.Decision(10**15 - entry.id, entry.kind, LATER, entry.starts_on,
                                                                       entry.ends_on, _after_stored(entry.target_id), entry.reference))
    for planned in design_plan.new:
        change = by_code[planned.code]
        values = {**(change.existing or {}), **change.after}
        guidance_type, programme_format = values.get("guidance_type"), values.get("format")
        if not guidance_type or not programme_format:
            continue
        decided = sorted(history.get(planned.code, []), key=lambda d: d.id)
        check = rules.check_design_version(guidance_type, programme_format, planned.version, decided, recorded_on, may_override, dates)
        if check.refused:
            errors.append(design_error(planned.path, check, planned.version))


LATER = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def _after_stored(decision_id: int | None) -> int | None:
    """A planned decision's provisional (negative, in file order) id as one after every stored id; a stored id as it is."""
    return None if decision_id is None else (10**15 - decision_id if decision_id < 0 else decision_id)


def design_error(path: str, check: rules.GrantCheck, version: rules.DesignVersion) -> FieldError:
    """The refusal of a design version by the care standard, naming the shortfall."""
    shortfall = check.shortfall
    assert shortfall is not None and check.refusal is not None
    params = {"effective_from": version.effective_from.isoformat(), "sessions": shortfall.sessions, "minutes": shortfall.minutes,
              "minimum_sessions": shortfall.minimum.sessions, "minimum_minutes": shortfall.minimum.minutes,
              "strict_from": check.strict_from.isoformat()}
    return FieldError(f"{path}.sessions", f"design {check.message}", "care_standard", DESIGN_TEMPLATES[check.refusal], tuple(params.items()))


# One message per reason for the refusal; each id is written out whole so the translation catalog finds it.
DESIGN_TEMPLATES = {
    rules.GrantRefusal.BELOW_MINIMUM: N_(
        "A design from %(effective_from)s does not meet the care standard (Zorgstandaard Tabaksverslaving 2025) while the programme "
        "is accredited: it has %(sessions)d sessions and %(minutes)d contact minutes, the minimum is %(minimum_sessions)d sessions "
        "and %(minimum_minutes)d minutes."),
    rules.GrantRefusal.OVERRIDE_ENDED: N_(
        "A design from %(effective_from)s does not meet the care standard (Zorgstandaard Tabaksverslaving 2025) while the programme "
        "is accredited: it has %(sessions)d sessions and %(minutes)d contact minutes, the minimum is %(minimum_sessions)d sessions "
        "and %(minimum_minutes)d minutes. The transition override ended on %(strict_from)s."),
    rules.GrantRefusal.ADMIN_ONLY: N_(
        "A design from %(effective_from)s does not meet the care standard (Zorgstandaard Tabaksverslaving 2025) while the programme "
        "is accredited: it has %(sessions)d sessions and %(minutes)d contact minutes, the minimum is %(minimum_sessions)d sessions "
        "and %(minimum_minutes)d minutes. Only an admin may override this."),
}
