"""Records as staff see and change them: every field (private ones too), the full decision timeline, saves and decisions.

Record saves go through the import service with a one-record document, and decisions through the
decision service the import uses too, so a form is checked by the same rules, written with the
same audit events and refused all-or-nothing exactly like a file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from piccolo.engine.base import Engine

from registry import rules
from registry.messages import N_
from registry.search_text import query_words
from registry.services.audit import Actor
from registry.services.errors import FieldError, NotFound, ValidationFailed
from registry.services.imports.plan import ImportReport, import_document
from registry.services.public.read import codes_and_references
from registry.services.sql import Writer, reading
from registry.services.staff import proposals, queries, references
from registry.services.staff.decisions import read_decision, record_decisions
from registry.services.staff.users import staff_names
from registry.services.verification.snapshot import Snapshot, to_decision

SUBJECT_KINDS = rules.names(rules.SubjectKind)
_NETHERLANDS = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True, slots=True)
class RecordKind:
    """One kind of record: where it is stored, its import section and its staff pages."""

    kind: str
    section: str
    table: str
    code_column: str
    slug: str
    plural: str
    singular: str
    sorts: tuple[tuple[str, str], ...]  # (key, label); the ORDER BY of each key is in queries.RECORD_ORDERS

    @property
    def has_decisions(self) -> bool:
        """Trainings, programmes and coaches are accredited; organisations are not."""
        return self.kind in SUBJECT_KINDS


KINDS: dict[str, RecordKind] = {
    "programme": RecordKind("programme", "programmes", "programme", "code", "programmas", N_("Programmes"), N_("Programme"),
                            (("name", N_("Name")), ("code", N_("Code")), ("changed", N_("Last changed")))),
    "coach": RecordKind("coach", "coaches", "coach", "registration_number", "coaches", N_("Coaches"), N_("Coach"),
                        (("name", N_("Name")), ("code", N_("Registration number")), ("changed", N_("Last changed")))),
    "training": RecordKind("training", "trainings", "training", "code", "opleidingen", N_("Trainings"), N_("Training"),
                           (("name", N_("Name")), ("code", N_("Code")), ("changed", N_("Last changed")))),
    "organisation": RecordKind("organisation", "organisations", "organisation", "code", "organisaties", N_("Organisations"),
                               N_("Organisation"),
                               (("name", N_("Name")), ("code", N_("Code")), ("changed", N_("Last changed")))),
}
JSON_LISTS = ("guidance_types", "formats", "modes", "cities", "agb_codes")


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    return {key: json.loads(value) if key in JSON_LISTS and isinstance(value, str) else value for key, value in row.items()}


def coach_name(row: dict[str, Any]) -> str:
    """Initials, prefix and surname as one name."""
    return " ".join(part for part in (row.get("initials"), row.get("prefix"), row.get("surname")) if part)


def decisions_of(snapshot: Snapshot, kind: str, row: dict[str, Any]) -> tuple[rules.Decision, ...]:
    """A subject's decisions as the verification index holds them."""
    if kind == "programme":
        entry = snapshot.programmes.get(row["code"])
        return entry.decisions if entry else ()
    if kind == "coach":
        entry = snapshot.coaches.get(row["code"])
        return entry.decisions if entry else ()
    if kind == "training":
        training = snapshot.trainings.get(row["id"])
        return training.facts.decisions if training else ()
    return ()


def status_today(decisions: tuple[rules.Decision, ...] | list[rules.Decision], on: dt.date) -> str:
    """The status word of a subject's decisions on a day."""
    return str(rules.standing(decisions, on).status)


async def list_records(
    reader: Writer, snapshot: Snapshot, kind: RecordKind, on: dt.date, q: str | None, status: str | None, sort: str,
    page: int, size: int, everything: bool = False,
) -> tuple[list[dict[str, Any]], int]:
    """One page of records matching the words and status, in the chosen order, each with its status today."""
    params = [f"% {word}%" for word in query_words(q)]
    order = sort if sort in queries.RECORD_ORDERS[kind.kind] else kind.sorts[0][0]
    if status is None and not everything:
        total = (await reader.fetch_row(queries.record_count(kind.kind, len(params)), *params))["n"]
        rows = await reader.fetch_all(queries.records(kind.kind, len(params), order, paged=True), *params, size, (page - 1) * size)
    else:
        # Status is derived from decisions, not stored: filter the matches by it, then take the page.
        rows = await reader.fetch_all(queries.records(kind.kind, len(params), order, paged=False), *params)
    items = []
    for row in rows:
        item = _decoded(row)
        if kind.has_decisions:
            item["status"] = status_today(decisions_of(snapshot, kind.kind, row), on)
        if kind.kind == "coach":
            item["name"] = coach_name(row)
        if status is None or item.get("status") == status:
            items.append(item)
    if status is None and not everything:
        return items, int(total)
    return (items if everything else items[(page - 1) * size : page * size]), len(items)


async def record_detail(reader: Writer, kind: RecordKind, code: str, on: dt.date) -> dict[str, Any]:
    """Every stored field of one record, its decisions (retracted ones marked), its status today and the next free reference."""
    row = await reader.fetch_one(queries.record_by_code(kind.kind), code.upper())
    if row is None:
        raise NotFound(f"no {kind.kind} {code.upper()}")
    record = _decoded(row)
    record["code"] = row[kind.code_column]
    if kind.kind == "coach":
        record["name"] = coach_name(row)
        record["qualifications"] = [
            {**q, "withdrawn": bool(q["withdrawn"]), "withdrawn_on": _day_of(q["version_recorded_at"]) if q["withdrawn"] else None}
            for q in await reader.fetch_all(queries.QUALIFICATIONS_OF_COACH, row["id"])
        ]
    if kind.kind == "programme":
        # The design history, oldest first, and the version in force today.
        record["designs"] = await reader.fetch_all(queries.DESIGNS_OF_PROGRAMME, row["id"])
        versions = [rules.DesignVersion(d["effective_from"], d["sessions"], d["contact_minutes"], d["recorded_at"], d["id"])
                    for d in record["designs"]]
        in_force = rules.design_in_force(versions, on)
        record["design_today"] = next((d for d in record["designs"] if in_force and d["id"] == in_force.id), None)
    if kind.kind == "organisation":
        record["programmes"] = await reader.fetch_all(queries.PROGRAMMES_OF_ORGANISATION, row["id"])
        record["trainings"] = await reader.fetch_all(queries.TRAININGS_OF_ORGANISATION, row["id"])
    if kind.has_decisions:
        rows = await reader.fetch_all(queries.DECISIONS_OF_SUBJECT, kind.kind, row["id"])
        _codes, targets = await codes_and_references(reader, rows)
        decisions = [to_decision(r) for r in rows]
        links = rules.history(decisions)
        record["decisions"] = [
            {**r, "target_reference": targets.get(r["target_id"]), "retracted_by": _reference(links.retracted_by.get(r["id"])),
             "lifted_by": _reference(links.lifted_by.get(r["id"]))}
            for r in rows
        ]
        # Per kind that names another decision (lift, retract), what a new one may name: the form's pick list, newest first.
        record["target_choices"] = {str(k): [{"reference": d.reference, "kind": str(d.kind), "starts_on": d.starts_on}
                                             for d in sorted(links.choices(k), key=lambda d: d.id, reverse=True)]
                                    for k, f in rules.DECISION_FIELDS.items() if f.target}
        record["next_reference"] = await references.next_free(reader, on)
        record["proposals"] = await proposals.of_subject(reader, kind.kind, record["code"])
        record["people"] = await staff_names(reader)
        now = rules.standing(decisions, on)
        record["status"], record["covering_grant"] = str(now.status), now.accreditation
    return record


def _reference(decision: rules.Decision | None) -> str | None:
    return decision.reference if decision is not None else None


def one_record(section: str, record: dict[str, Any]) -> bytes:
    """An import document holding one record."""
    return msgspec.json.encode({section: [record]})


async def save_record(
    engine: Engine, actor: Actor, kind: RecordKind, code: str | None, values: dict[str, Any], version: int | None, apply: bool = True
) -> str | None:
    """Create (no code) or change a record and return its code; a change based on an older version raises EditConflict.

    With apply=False everything is checked and nothing kept (to name every problem of a form at once).
    """
    record = {kind.code_column: code, **values} if code else dict(values)
    expected = {(kind.section, code): version} if code and version is not None else None
    report = await import_document(engine, one_record(kind.section, record), actor, apply=apply, expected_versions=expected,
                                   always_new=code is None)
    if not apply:
        return None
    return code or report.new_codes[kind.section][0]


async def save_qualification(engine: Engine, actor: Actor, coach: str, values: dict[str, Any], version: int | None) -> ImportReport:
    """Record that a coach completed a training (or correct the date or certificate)."""
    record = {"coach": coach, **values}
    expected = {("qualifications", f"{coach}/{values.get('training')}"): version} if version is not None else None
    return await import_document(engine, one_record("qualifications", record), actor, expected_versions=expected)


def _day_of(moment: Any) -> dt.date:
    """The day in the Netherlands of a stored moment (a datetime, or its ISO text on SQLite)."""
    value = moment if isinstance(moment, dt.datetime) else dt.datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).astimezone(_NETHERLANDS).date()


async def withdraw_qualification(engine: Engine, actor: Actor, coach: str, training: str, version: int | None) -> ImportReport:
    """Withdraw a coach's completed training: a new version that withdraws it, so answers as known before still count it."""
    async with reading(engine) as reader:
        row = await reader.fetch_one(queries.QUALIFICATION_OF_COACH, coach, training)
    if row is None:
        raise NotFound(f"no completed training {training} of coach {coach}")
    if row["withdrawn"]:
        raise ValidationFailed([FieldError.said("qualifications[0].withdrawn", N_("this completed training has already been withdrawn"),
                                                "already_withdrawn")])
    expected = {("qualifications", f"{coach}/{training}"): version if version is not None else row["version"]}
    return await import_document(engine, one_record("qualifications", {"coach": coach, "training": training, "withdrawn": True}), actor,
                                 expected_versions=expected)


async def save_design(engine: Engine, actor: Actor, code: str, values: dict[str, Any]) -> ImportReport:
    """Add a design version to a programme (never a change in place), through the import's checks and audit."""
    return await import_document(engine, one_record("programmes", {"code": code, "designs": [values]}), actor)


async def record_decision(
    engine: Engine, actor: Actor, subject_kind: str, code: str, values: dict[str, Any], apply: bool = True
) -> int:
    """Record one decision on a subject, checked against its earlier decisions and the care standard.

    `values` are the decision's fields in the import's names (dates as YYYY-MM-DD); with apply=False
    everything is checked and nothing kept. Problems are reported under decisions[0], as for a file.
    """
    errors: list[FieldError] = []
    request = read_decision({"subject": subject_kind, "code": code, **values}, "decisions[0]", errors)
    if request is None:
        raise ValidationFailed(errors)
    # A decision identical to a stored one with the same reference is a refusal here: staff meant a new one.
    return await record_decisions(engine, actor, [request], apply=apply, allow_identical=False)
