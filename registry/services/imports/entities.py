"""Matching an import's records to stored ones, and checking their references, qualifications included."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from registry.messages import N_
from registry.services.errors import FieldError
from registry.services.imports import queries
from registry.services.imports.parse import ENTITY_SECTIONS, JSON_LIST_FIELDS, ParsedDocument, Record
from registry.services.sql import Writer

if TYPE_CHECKING:
    from registry.services.imports.plan import ImportPlan


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


async def rows_by_code(
    writer: Writer, table: str, code_column: str, codes: list[str], records: list[Record]
) -> dict[str, dict[str, Any]]:
    rows = await writer.fetch_in(queries.records_with_code_in(table), codes)
    return {row[code_column]: decoded(row) for row in rows}


def decoded(row: dict[str, Any]) -> dict[str, Any]:
    return {key: json.loads(value) if key in JSON_LIST_FIELDS and isinstance(value, str) else value for key, value in row.items()}


async def resolve_entities(
    writer: Writer,
    parsed: ParsedDocument,
    known: dict[str, dict[str, dict[str, Any]]],
    plan: "ImportPlan",
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
                    known[section].update(await rows_by_code(writer, table, code_column, [code], []))
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
            if section == "organisations":
                _agb_code_list(after, existing)
            changes.append(EntityChange(section, record.path, code, existing, after))
        plan.entities[section] = changes
    await _check_coach_agb_codes(writer, plan.entities["coaches"], errors)
    await _check_organisation_agb_codes(writer, plan.entities["organisations"], errors)


def _agb_code_list(after: dict[str, Any], existing: dict[str, Any] | None) -> None:
    """`agb_codes` is the whole list and `agb_code` its first; `agb_code` alone puts one code first and keeps the others."""
    stored = list((existing or {}).get("agb_codes") or ())
    if "agb_codes" in after:
        codes = list(after["agb_codes"] or ())
        if after.get("agb_code") and after["agb_code"] not in codes:
            codes.insert(0, after["agb_code"])
    elif "agb_code" in after:
        first, before = after["agb_code"], (existing or {}).get("agb_code")
        codes = ([first] if first else []) + [c for c in stored if c not in (first, before)]
    else:
        return
    after["agb_codes"] = codes
    after["agb_code"] = codes[0] if codes else None


async def _check_organisation_agb_codes(writer: Writer, organisations: list[EntityChange], errors: list[FieldError]) -> None:
    """An AGB code identifies at most one organisation, across the file and the registry."""
    holder: dict[str, EntityChange] = {}
    final: dict[str, list[str]] = {}
    for change in organisations:
        codes = change.after.get("agb_codes", (change.existing or {}).get("agb_codes")) or []
        final[change.code] = codes
        for agb in codes:
            if agb in holder:
                errors.append(FieldError.said(f"{change.path}.agb_codes", N_("AGB code %(agb)s is also given to %(code)s at %(path)s"), "duplicate",
                                              agb=agb, code=holder[agb].code, path=holder[agb].path))
            holder[agb] = change
    for row in await writer.fetch_in(queries.ORGANISATIONS_WITH_AGB_IN, list(holder)):
        change = holder[row["agb_code"]]
        # Taken, unless by this organisation or by one this file gives other codes.
        if row["code"] != change.code and row["agb_code"] in final.get(row["code"], [row["agb_code"]]):
            errors.append(FieldError.said(f"{change.path}.agb_codes", N_("AGB code %(agb)s already identifies organisation %(code)s"),
                                          "agb_code_taken", agb=row["agb_code"], code=row["code"]))


async def _organisation_codes(
    writer: Writer, parsed: ParsedDocument, known: dict[str, dict[str, dict[str, Any]]]
) -> dict[int | str, str]:
    """Organisation id -> code for stored ones, and code -> code for those the file adds."""
    rows = await writer.fetch_all(queries.ORGANISATION_IDS_AND_CODES)
    codes: dict[int | str, str] = {row["id"]: row["code"] for row in rows}
    for record in parsed.sections["organisations"]:
        if record.get("code"):
            codes[record.get("code")] = record.get("code")
    return codes


async def _natural_match(writer: Writer, section: str, record: Record) -> str | None:
    """A stored record that a code-less entry means, so a re-import changes nothing."""
    if section == "organisations":
        for column in queries.ORGANISATION_NATURAL_KEYS:
            if record.get(column):
                row = await writer.fetch_one(queries.ORGANISATION_CODE_BY[column], record.get(column))
                if row:
                    return row["code"]
        for agb in [record.get("agb_code"), *(record.get("agb_codes") or ())]:
            if agb and (row := await writer.fetch_one(queries.ORGANISATION_CODE_BY_AGB, agb)):
                return row["code"]
    elif section == "coaches" and record.get("agb_code"):
        row = await writer.fetch_one(queries.COACH_NUMBER_BY_AGB, record.get("agb_code"))
        return row["registration_number"] if row else None
    elif section in ("trainings", "programmes") and record.get("name"):
        row = await writer.fetch_one(
            queries.code_by_name_and_organisation(section),
            record.get("name"),
            record.get("organisation") or "",
        )
        return row["code"] if row else None
    return None


async def _next_code_number(
    writer: Writer, table: str, code_column: str, prefix: str, parsed: ParsedDocument, section: str
) -> int:
    rows = await writer.fetch_all(queries.codes_like(table), f"{prefix}%")
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
    rows = await writer.fetch_in(queries.COACHES_WITH_AGB_IN, list(holder))
    for row in rows:
        change = holder[row["agb_code"]]
        if row["registration_number"] != change.code and row["registration_number"] not in in_file:
            errors.append(FieldError.said(f"{change.path}.agb_code", N_("AGB code %(agb)s already identifies coach %(code)s"), "agb_code_taken",
                                          agb=row["agb_code"], code=row["registration_number"]))


async def plan_qualifications(
    writer: Writer,
    parsed: ParsedDocument,
    known: dict[str, dict[str, dict[str, Any]]],
    plan: "ImportPlan",
    errors: list[FieldError],
) -> None:
    records = parsed.sections["qualifications"]
    coaches = await _codes_present(writer, "coach", "registration_number", [r.get("coach") for r in records], plan, "coaches")
    trainings = await _codes_present(writer, "training", "code", [r.get("training") for r in records], plan, "trainings")
    rows = await writer.fetch_in(
        queries.QUALIFICATIONS_OF_COACHES_IN,
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
        withdrawn = record.get("withdrawn") is True
        if withdrawn and existing is None:
            errors.append(FieldError.said(f"{record.path}.withdrawn", N_("coach %(coach)s has no completed training %(training)s to withdraw"),
                                          "unknown_reference", coach=coach, training=training))
            continue
        completed_on = record.get("completed_on") or (existing or {}).get("completed_on")
        after = {"completed_on": completed_on, "certificate": record.get("certificate", (existing or {}).get("certificate"))}
        before = None
        if existing is not None:
            # Stating a withdrawn qualification again (without "withdrawn": true) adds it back as a new version.
            before = {"completed_on": existing["completed_on"], "certificate": existing["certificate"], "withdrawn": bool(existing["withdrawn"])}
            after["withdrawn"] = withdrawn
        plan.qualifications.append(EntityChange("qualifications", record.path, f"{coach}/{training}", before, {"coach": coach, "training": training, **after} if before is None else after))


async def _codes_present(writer: Writer, table: str, column: str, codes: list[Any], plan: "ImportPlan", section: str) -> set[str]:
    rows = await writer.fetch_in(queries.codes_in(table), [c for c in codes if c])
    return {row["code"] for row in rows} | {change.code for change in plan.entities[section]}
