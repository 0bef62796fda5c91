"""Staff forms for records and decisions: which fields each has, and turning posted text into import values."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from litestar.datastructures import FormMultiDict

from registry.messages import N_
from registry.public.labels import FORMATS, GUIDANCE_TYPES, MODES
from registry.rules import DECISION_FIELDS, OVERRIDE_FIELD, DecisionKind
from registry.services.errors import FieldError, Refusal

DUTCH_DATE = re.compile(r"\s*(\d{1,2})-(\d{1,2})-(\d{4})\s*")
ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})\s*")
WHOLE_NUMBER = re.compile(r"\s*\d{1,9}\s*")


@dataclass(frozen=True, slots=True)
class Field:
    """One input of a record form."""

    name: str
    label: str
    widget: str = "text"  # text, textarea, number, choice, choices, cities, codes (a list like cities), organisation
    required: bool = False
    hint: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    private: bool = False
    create_only: bool = False  # given when a record is created; later changes go elsewhere (a design: a new version)


GUIDANCE = tuple(GUIDANCE_TYPES.items())
FORMAT_OPTIONS = tuple(FORMATS.items())
EIGHT_DIGITS_HINT = N_("8 digits.")

FIELDS: dict[str, tuple[Field, ...]] = {
    "organisation": (
        Field("name", N_("Name"), required=True),
        Field("kvk_number", N_("KvK number"), hint=EIGHT_DIGITS_HINT),
        Field("agb_codes", N_("AGB codes"), widget="codes",
              hint=N_("8 digits each: the practice first, then its locations; one per line, or separated by commas.")),
        Field("address", N_("Street and number"), hint=N_("Shown on the public pages, as are postcode, city, telephone and website.")),
        Field("postcode", N_("Postcode"), hint=N_("For example 3511 AB.")),
        Field("city", N_("City")),
        Field("phone", N_("Telephone"), hint=N_("For example 030 123 45 67.")),
        Field("website", N_("Website"), hint=N_("Starting with https://.")),
    ),
    "training": (
        Field("name", N_("Name"), required=True),
        Field("organisation", N_("Institute (organisation code)"), widget="organisation", hint=N_("For example O-000012.")),
        Field("guidance_types", N_("Guidance types graduates may deliver"), widget="choices", required=True, options=GUIDANCE),
        Field("formats", N_("Formats graduates may deliver"), widget="choices", required=True, options=FORMAT_OPTIONS),
    ),
    "programme": (
        Field("name", N_("Name"), required=True),
        Field("organisation", N_("Provider (organisation code)"), widget="organisation", required=True, hint=N_("For example O-000012.")),
        Field("guidance_type", N_("Guidance type"), widget="choice", required=True, options=GUIDANCE),
        Field("format", N_("Format"), widget="choice", required=True, options=FORMAT_OPTIONS),
        Field("modes", N_("Ways of working"), widget="choices", options=tuple(MODES.items())),
        Field("sessions", N_("Number of sessions (short guidance: every contact moment, aftercare included; intensive: aftercare excluded)"),
              widget="number", create_only=True),
        Field("contact_minutes", N_("Contact minutes in total (counted the same way)"), widget="number", create_only=True),
        Field("cities", N_("Cities where it is offered"), widget="cities", hint=N_("One per line, or separated by commas.")),
    ),
    "coach": (
        Field("initials", N_("Initials"), required=True, hint=N_("For example J.A.")),
        Field("prefix", N_("Prefix"), hint=N_("For example van der.")),
        Field("surname", N_("Surname"), required=True),
        Field("agb_code", N_("AGB code"), hint=EIGHT_DIGITS_HINT),
        Field("big_number", N_("BIG number"), private=True),
        Field("email", N_("E-mail address"), private=True),
        Field("phone", N_("Telephone"), private=True),
        Field("city", N_("Work city")),
        Field("internal_note", N_("Internal note"), widget="textarea", private=True, hint=N_("Only staff see this.")),
    ),
}
QUALIFICATION_FIELDS = (
    Field("training", N_("Training (code)"), required=True, hint=N_("For example T-000003.")),
    Field("completed_on", N_("Completed on"), required=True, hint=N_("Day-month-year, for example 17-05-2024.")),
    Field("certificate", N_("Certificate number")),
)


def fields_of(kind: str, creating: bool) -> tuple[Field, ...]:
    """A record form's fields: a new record's all, an edit's without those given only at creation."""
    return tuple(field for field in FIELDS[kind] if creating or not field.create_only)


DESIGN_FIELDS = (
    Field("effective_from", N_("First day of care it describes"), required=True, hint=N_("Day-month-year, for example 01-03-2027.")),
    Field("sessions", N_("Number of sessions (short guidance: every contact moment, aftercare included; intensive: aftercare excluded)"),
          required=True),
    Field("contact_minutes", N_("Contact minutes in total (counted the same way)"), required=True),
)


def design_values(form: FormMultiDict, may_override: bool) -> tuple[dict[str, Any], list[FieldError]]:
    """A new design version from the programme page's form, as an item of the import's `designs`."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    try:
        values["effective_from"] = parse_date(_text(form, "effective_from"))
    except Refusal as problem:
        errors.append(FieldError("effective_from", str(problem), "invalid", problem.template, problem.params))
    for name in ("sessions", "contact_minutes"):
        raw = _text(form, name)
        if not WHOLE_NUMBER.fullmatch(raw):
            errors.append(FieldError.said(name, N_("must be a whole number")))
        else:
            values[name] = int(raw)
    if may_override and _text(form, OVERRIDE_FIELD):
        values[OVERRIDE_FIELD] = _text(form, OVERRIDE_FIELD)
    return values, errors


def parse_date(raw: str) -> str:
    """A date typed as dd-mm-jjjj (or jjjj-mm-dd) as the import's YYYY-MM-DD; refuses anything else."""
    match = DUTCH_DATE.fullmatch(raw)
    parts = (match.group(3), match.group(2), match.group(1)) if match else None
    iso = ISO_DATE.fullmatch(raw)
    if iso:
        parts = iso.groups()
    if parts is None:
        raise Refusal(N_("Write the date as day-month-year, for example 14-03-2026."))
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat()
    except ValueError:
        raise Refusal(N_("is not a real calendar date")) from None


def shown_date(value: Any) -> str:
    """A stored date as staff type it (dd-mm-jjjj)."""
    if isinstance(value, str) and value:
        value = dt.date.fromisoformat(value)
    return value.strftime("%d-%m-%Y") if isinstance(value, dt.date) else ""


def _text(form: FormMultiDict, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def record_values(form: FormMultiDict, fields: tuple[Field, ...], creating: bool) -> tuple[dict[str, Any], list[FieldError]]:
    """The import values a record form gives; an emptied optional field clears the stored value."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field in fields:
        raw = _text(form, field.name)
        if field.widget == "choices":
            values[field.name] = [value for value in form.getall(field.name, []) if isinstance(value, str)]
        elif field.widget in ("cities", "codes"):
            values[field.name] = [city.strip() for city in re.split(r"[,\n]", raw) if city.strip()]
        elif field.widget == "number":
            if raw and not WHOLE_NUMBER.fullmatch(raw):
                errors.append(FieldError.said(field.name, N_("must be a whole number")))
            values[field.name] = int(raw) if raw and WHOLE_NUMBER.fullmatch(raw) else None
        elif field.widget == "organisation":
            values[field.name] = raw.upper() or None
        elif field.required:
            values[field.name] = raw  # empty: the import names it ("must not be empty")
        elif raw or not creating:
            values[field.name] = raw or None
        if field.widget in ("choice",) and not raw:
            values[field.name] = None
    return values, errors


def form_version(form: FormMultiDict, missing: int | None) -> int | None:
    """The record version an edit form was opened with; `missing` when the form carries none that is usable."""
    raw = form.get("version")
    return int(raw) if isinstance(raw, str) and raw.isascii() and raw.isdigit() else missing


def qualification_values(form: FormMultiDict) -> tuple[dict[str, Any], list[FieldError]]:
    """Training, completion date and certificate from the coach page's form."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {"training": _text(form, "training").upper(), "certificate": _text(form, "certificate") or None}
    try:
        values["completed_on"] = parse_date(_text(form, "completed_on"))
    except Refusal as problem:
        errors.append(FieldError("completed_on", str(problem), "invalid", problem.template, problem.params))
    if not values["training"]:
        errors.append(FieldError.said("training", N_("is required"), "required"))
    return values, errors


def decision_values(form: FormMultiDict, kind: DecisionKind, may_override: bool) -> tuple[dict[str, Any], list[FieldError]]:
    """The import fields of one decision form; dates typed the Dutch way."""
    values: dict[str, Any] = {"kind": str(kind), "reference": _text(form, "reference"), "reason": _text(form, "reason")}
    if _text(form, "internal_note"):
        values["internal_note"] = _text(form, "internal_note")
    errors: list[FieldError] = []
    fields = DECISION_FIELDS[kind]
    for name, required in ((fields.start, True), (fields.end, False)):
        if name is None:
            continue
        raw = _text(form, name)
        if not raw:
            if required:
                errors.append(FieldError.said(name, N_("is required"), "required"))
            continue
        try:
            values[name] = parse_date(raw)
        except Refusal as problem:
            errors.append(FieldError(name, str(problem), "invalid", problem.template, problem.params))
    if fields.target:
        values[fields.target] = _text(form, fields.target)
        if not values[fields.target]:
            errors.append(FieldError.said(fields.target, N_("Choose a decision."), "required"))
    if fields.may_override and may_override and _text(form, OVERRIDE_FIELD):
        values[OVERRIDE_FIELD] = _text(form, OVERRIDE_FIELD)
    if not values["reference"]:
        errors.append(FieldError.said("reference", N_("is required"), "required"))
        values.pop("reference")
    return values, errors


def form_of(record: dict[str, Any], fields: tuple[Field, ...]) -> dict[str, Any]:
    """A stored record as the values its edit form starts with."""
    shown: dict[str, Any] = {}
    for field in fields:
        value = record.get(field.name)
        if field.widget == "organisation":
            value = record.get("organisation_code") or ""
        elif field.widget in ("cities", "codes"):
            value = "\n".join(value or [])
        elif field.widget == "choices":
            value = list(value or [])
        shown[field.name] = "" if value is None else (str(value) if field.widget == "number" else value)
    return shown


def posted(form: FormMultiDict, fields: tuple[Field, ...]) -> dict[str, Any]:
    """What was typed, to show the form again with its errors."""
    return {field.name: form.getall(field.name, []) if field.widget == "choices" else _text(form, field.name) for field in fields}
