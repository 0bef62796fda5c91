"""Reading an import document: every field checked on its own, every problem named by JSON path."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

import msgspec

from registry.messages import N_
from registry.rules import GuidanceType, ProgrammeFormat, SessionMode
from registry.services.errors import FieldError
from registry.services.staff.decisions import DecisionRequest, read_decision
from registry.services.values import (  # noqa: F401 - the patterns live in values; still importable from here
    CITY_LENGTH,
    CODE_PATTERN,
    EIGHT_DIGITS,
    EMAIL,
    ISO_DATE,
    FieldReader,
    agb_codes,
    boolean,
    choice,
    choices,
    city_list,
    code,
    count,
    eight_digits,
    email,
    iso_date,
    phone,
    postcode,
    text,
    website,
)

# section -> (table, code column, prefix for new codes, fields a new record must have)
ENTITY_SECTIONS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "organisations": ("organisation", "code", "O-", ("name",)),
    "trainings": ("training", "code", "T-", ("name", "guidance_types", "formats")),
    "programmes": ("programme", "code", "P-", ("name", "organisation", "guidance_type", "format")),
    "coaches": ("coach", "registration_number", "C-", ("initials", "surname")),
}
JSON_LIST_FIELDS = {"guidance_types", "formats", "modes", "cities", "agb_codes"}
SUBJECT_SECTION = {"training": "trainings", "programme": "programmes", "coach": "coaches"}
SECTIONS = ("organisations", "trainings", "programmes", "coaches", "qualifications", "decisions")


@dataclass(slots=True)
class Record:
    """One entry of a section: its JSON path and the fields it gives, already normalised."""

    path: str
    values: dict[str, Any]
    designs: list["DesignEntry"] = field(default_factory=list)  # a programme's `designs`, checked one by one

    def get(self, name: str, default: Any = None) -> Any:
        """A given field's value, or `default` when the file leaves it out."""
        return self.values.get(name, default)


@dataclass(slots=True)
class ParsedDocument:
    """The sections of an import document and the problems found in its fields."""

    sections: dict[str, list[Record]] = field(default_factory=lambda: {name: [] for name in SECTIONS if name != "decisions"})
    decisions: list[DecisionRequest] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DesignEntry:
    """One item of a programme's `designs`: a design from its first day of care."""

    path: str
    effective_from: dt.date
    sessions: int
    contact_minutes: int
    override_reason: str | None = None


DESIGN_FIELDS = ("effective_from", "sessions", "contact_minutes", "override_reason")
GUIDANCE_TYPES = tuple(GuidanceType)
FORMATS = tuple(ProgrammeFormat)
MODES = tuple(SessionMode)

ENTITY_FIELDS: dict[str, dict[str, tuple[Callable[[Any], Any], bool]]] = {
    # field -> (check, nullable); required-for-new is enforced when resolving against the database.
    "organisations": {
        "code": (code, False),
        "name": (text(200), False),
        "kvk_number": (eight_digits, True),
        "agb_code": (eight_digits, True),
        "agb_codes": (agb_codes, True),
        "city": (text(CITY_LENGTH), True),
        "address": (text(200), True),
        "postcode": (postcode, True),
        "phone": (phone, True),
        "website": (website, True),
    },
    "trainings": {
        "code": (code, False),
        "name": (text(200), False),
        "organisation": (code, True),
        "guidance_types": (choices(GUIDANCE_TYPES), False),
        "formats": (choices(FORMATS), False),
    },
    "programmes": {
        "code": (code, False),
        "name": (text(200), False),
        "organisation": (code, True),
        "guidance_type": (choice(GUIDANCE_TYPES), False),
        "format": (choice(FORMATS), False),
        "modes": (choices(MODES, allow_empty=True), False),
        "sessions": (count(1000), True),
        "contact_minutes": (count(100_000), True),
        "cities": (city_list, False),
    },
    "coaches": {
        "registration_number": (code, False),
        "initials": (text(20), False),
        "prefix": (text(20), True),
        "surname": (text(100), False),
        "agb_code": (eight_digits, True),
        "big_number": (text(11), True),
        "email": (email, True),
        "phone": (text(32), True),
        "city": (text(CITY_LENGTH), True),
        "internal_note": (text(4000, lines=True), True),
    },
    "qualifications": {
        "coach": (code, False),
        "training": (code, False),
        "completed_on": (iso_date, False),
        "certificate": (text(64), True),
        "withdrawn": (boolean, True),
    },
}
REQUIRED_QUALIFICATION_FIELDS = ("coach", "training", "completed_on")


def parse_document(content: bytes | str) -> ParsedDocument:
    """Decode and check an import document; the result lists every problem found."""
    parsed = ParsedDocument()
    try:
        document = msgspec.json.decode(content)
    except msgspec.DecodeError as problem:
        parsed.errors.append(FieldError.said("$", N_("not valid JSON: %(problem)s"), "invalid_json", problem=str(problem)))
        return parsed
    except UnicodeDecodeError:
        parsed.errors.append(FieldError.said("$", N_("not valid JSON: %(problem)s"), "invalid_json", problem="not UTF-8"))
        return parsed
    except RecursionError:  # nesting deeper than the decoder goes; an import document is four levels deep
        parsed.errors.append(FieldError.said("$", N_("not valid JSON: %(problem)s"), "invalid_json", problem="nested too deeply"))
        return parsed
    if not isinstance(document, dict):
        parsed.errors.append(FieldError.said("$", N_("must be a JSON object with the sections %(sections)s"), sections=", ".join(SECTIONS)))
        return parsed
    for name, value in document.items():
        if name not in SECTIONS:
            parsed.errors.append(FieldError.said(name, N_("unknown section"), "unknown_field"))
        elif not isinstance(value, list):
            parsed.errors.append(FieldError.said(name, N_("must be a list")))
    for section in SECTIONS:
        items = document.get(section)
        if not isinstance(items, list):
            continue
        for index, raw in enumerate(items):
            path = f"{section}[{index}]"
            if not isinstance(raw, dict):
                parsed.errors.append(FieldError.said(path, N_("must be a JSON object")))
                continue
            if section == "decisions":
                request = read_decision(raw, path, parsed.errors)
                if request is not None:
                    parsed.decisions.append(request)
            else:
                designs = _designs(raw.pop("designs", None), path, parsed.errors) if section == "programmes" else []
                parsed.sections[section].append(Record(path, _entity_fields(section, raw, path, parsed.errors), designs))
    return parsed


MAX_DESIGNS = 100


def _designs(raw: Any, path: str, errors: list[FieldError]) -> list[DesignEntry]:
    """A programme's `designs`: each with its first day, sessions and contact minutes (an override reason optional)."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_DESIGNS:
        errors.append(FieldError.said(f"{path}.designs", N_("must be a list of at most %(count)d designs"), count=MAX_DESIGNS))
        return []
    entries = []
    for index, item in enumerate(raw):
        item_path = f"{path}.designs[{index}]"
        if not isinstance(item, dict):
            errors.append(FieldError.said(item_path, N_("must be a JSON object")))
            continue
        found = len(errors)
        fields = FieldReader(item, item_path, errors)
        fields.reject_unknown(DESIGN_FIELDS)
        fields.take("effective_from", iso_date, nullable=False)
        fields.take("sessions", count(1000), nullable=False)
        fields.take("contact_minutes", count(100_000), nullable=False)
        fields.take("override_reason", text(4000, lines=True), nullable=True)
        for name in DESIGN_FIELDS[:3]:
            if name not in item:
                fields.error(name, N_("is required"), "required")
        if len(errors) == found:
            values = fields.values
            entries.append(DesignEntry(item_path, values["effective_from"], values["sessions"], values["contact_minutes"],
                                       values.get("override_reason")))
    return entries


def _entity_fields(section: str, raw: dict[str, Any], path: str, errors: list[FieldError]) -> dict[str, Any]:
    spec = ENTITY_FIELDS[section]
    fields = FieldReader(raw, path, errors)
    fields.reject_unknown(tuple(spec))
    for name, (check, nullable) in spec.items():
        fields.take(name, check, nullable)
    if section == "qualifications":
        # A withdrawal names the qualification only; its date stays as stored.
        required = REQUIRED_QUALIFICATION_FIELDS[:2] if raw.get("withdrawn") is True else REQUIRED_QUALIFICATION_FIELDS
        for name in required:
            if name not in raw:
                fields.error(name, N_("is required"), "required")
    return fields.values
