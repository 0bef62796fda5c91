"""Reading an import document: every field checked on its own, every problem named by JSON path."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import msgspec

from registry.messages import N_
from registry.rules import DecisionKind, GuidanceType, ProgrammeFormat, SubjectKind
from registry.services.errors import FieldError, Refusal

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
EIGHT_DIGITS = re.compile(r"^[0-9]{8}$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MODES = ("on_site", "phone", "video")
# section -> (table, code column, prefix for new codes, fields a new record must have)
ENTITY_SECTIONS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "organisations": ("organisation", "code", "O-", ("name",)),
    "trainings": ("training", "code", "T-", ("name", "guidance_types", "formats")),
    "programmes": ("programme", "code", "P-", ("name", "organisation", "guidance_type", "format")),
    "coaches": ("coach", "registration_number", "C-", ("initials", "surname")),
}
JSON_LIST_FIELDS = {"guidance_types", "formats", "modes", "cities"}
SUBJECT_SECTION = {"training": "trainings", "programme": "programmes", "coach": "coaches"}
SECTIONS = ("organisations", "trainings", "programmes", "coaches", "qualifications", "decisions")

# Decision fields by kind, in the import's own names, mapped to the generic columns.
DECISION_DATE_FIELDS: dict[DecisionKind, tuple[str | None, str | None]] = {
    DecisionKind.GRANT: ("valid_from", "valid_until"),
    DecisionKind.SUSPEND: ("from", "until"),
    DecisionKind.LIFT: ("date", None),
    DecisionKind.REVOKE: ("effective", None),
    DecisionKind.RETRACT: (None, None),
}
DECISION_TARGET_FIELD: dict[DecisionKind, str | None] = {
    DecisionKind.LIFT: "suspension",
    DecisionKind.RETRACT: "target",
}
DECISION_COMMON_FIELDS = ("subject", "code", "kind", "reference", "reason")


class Absent:
    """Marks a key the file does not give (different from an explicit null)."""


ABSENT = Absent()


@dataclass(slots=True)
class Record:
    """One entry of a section: its JSON path and the fields it gives, already normalised."""

    path: str
    values: dict[str, Any]

    def get(self, name: str, default: Any = None) -> Any:
        """A given field's value, or `default` when the file leaves it out."""
        return self.values.get(name, default)


@dataclass(slots=True)
class ParsedDocument:
    """The sections of an import document and the problems found in its fields."""

    sections: dict[str, list[Record]] = field(default_factory=lambda: {name: [] for name in SECTIONS})
    errors: list[FieldError] = field(default_factory=list)


class _Fields:
    """Checks the fields of one JSON object, collecting errors under its path."""

    def __init__(self, raw: dict[str, Any], path: str, errors: list[FieldError]):
        self.raw, self.path, self.errors = raw, path, errors
        self.values: dict[str, Any] = {}

    def error(self, name: str, message: str, code: str = "invalid") -> None:
        self.errors.append(FieldError.said(f"{self.path}.{name}", message, code))

    def take(self, name: str, check: Callable[[Any], Any], nullable: bool = True) -> None:
        if name not in self.raw:
            return
        value = self.raw[name]
        if value is None:
            if nullable:
                self.values[name] = None
            else:
                self.error(name, N_("must not be null"), "required")
            return
        try:
            self.values[name] = check(value)
        except Refusal as problem:
            self.errors.append(FieldError(f"{self.path}.{name}", str(problem), "invalid", problem.template, problem.params))

    def reject_unknown(self, allowed: tuple[str, ...]) -> None:
        for name in self.raw:
            if name not in allowed:
                self.error(name, N_("unknown field"), "unknown_field")


def text(max_length: int, min_length: int = 1) -> Callable[[Any], str]:
    """A string of bounded length, trimmed."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Refusal(N_("must be a string"))
        value = value.strip()
        if len(value) < min_length:
            raise Refusal(N_("must not be empty"))
        if len(value) > max_length:
            raise Refusal(N_("must be at most %(limit)d characters"), limit=max_length)
        return value

    return check


def code(value: Any) -> str:
    """A registry code, matched case-insensitively and kept upper-case."""
    if not isinstance(value, str) or not CODE_PATTERN.match(value.strip().upper()):
        raise Refusal(N_("must be a code of letters, digits and '-' (at most 32), starting with a letter or digit"))
    return value.strip().upper()


def eight_digits(value: Any) -> str:
    """An AGB code or KvK number: exactly 8 digits as a string (leading zeros count)."""
    if not isinstance(value, str) or not EIGHT_DIGITS.match(value):
        raise Refusal(N_("must be a string of exactly 8 digits"))
    return value


def iso_date(value: Any) -> dt.date:
    """A calendar date written YYYY-MM-DD."""
    if not isinstance(value, str) or not ISO_DATE.match(value):
        raise Refusal(N_("must be a date written YYYY-MM-DD"))
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Refusal(N_("is not a real calendar date")) from None


def count(maximum: int) -> Callable[[Any], int]:
    """A whole number from 0 to `maximum`."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Refusal(N_("must be a whole number"))
        if not 0 <= value <= maximum:
            raise Refusal(N_("must be between 0 and %(maximum)d"), maximum=maximum)
        return value

    return check


def choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    """One of a fixed set of words."""

    def check(value: Any) -> str:
        if value not in options:
            raise Refusal(N_("must be one of %(options)s"), options=", ".join(options))
        return value

    return check


def choices(options: tuple[str, ...], allow_empty: bool = False) -> Callable[[Any], list[str]]:
    """A list of distinct words from a fixed set, kept in the set's order."""

    def check(value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise Refusal(N_("must be a list of strings"))
        unknown = [item for item in value if item not in options]
        if unknown:
            raise Refusal(N_("unknown value %(value)r; allowed: %(options)s"), value=unknown[0], options=", ".join(options))
        if not value and not allow_empty:
            raise Refusal(N_("must name at least one value"))
        return [option for option in options if option in value]

    return check


def city_list(value: Any) -> list[str]:
    """A list of place names."""
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise Refusal(N_("must be a list of place names"))
    if len(value) > 200:
        raise Refusal(N_("must name at most 200 places"))
    return list(dict.fromkeys(item.strip() for item in value))


def email(value: Any) -> str:
    """An e-mail address."""
    value = text(254)(value)
    if not EMAIL.match(value):
        raise Refusal(N_("must be an e-mail address"))
    return value


GUIDANCE_TYPES = tuple(GuidanceType)
FORMATS = tuple(ProgrammeFormat)

ENTITY_FIELDS: dict[str, dict[str, tuple[Callable[[Any], Any], bool]]] = {
    # field -> (check, nullable); required-for-new is enforced when resolving against the database.
    "organisations": {
        "code": (code, False),
        "name": (text(200), False),
        "kvk_number": (eight_digits, True),
        "agb_code": (eight_digits, True),
        "city": (text(100), True),
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
        "city": (text(100), True),
        "internal_note": (text(4000), True),
    },
    "qualifications": {
        "coach": (code, False),
        "training": (code, False),
        "completed_on": (iso_date, False),
        "certificate": (text(64), True),
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
                values = _decision_fields(raw, path, parsed.errors)
            else:
                values = _entity_fields(section, raw, path, parsed.errors)
            if values is not None:
                parsed.sections[section].append(Record(path, values))
    return parsed


def _entity_fields(section: str, raw: dict[str, Any], path: str, errors: list[FieldError]) -> dict[str, Any]:
    spec = ENTITY_FIELDS[section]
    fields = _Fields(raw, path, errors)
    fields.reject_unknown(tuple(spec))
    for name, (check, nullable) in spec.items():
        fields.take(name, check, nullable)
    if section == "qualifications":
        for name in REQUIRED_QUALIFICATION_FIELDS:
            if name not in raw:
                fields.error(name, N_("is required"), "required")
    return fields.values


def _decision_fields(raw: dict[str, Any], path: str, errors: list[FieldError]) -> dict[str, Any] | None:
    fields = _Fields(raw, path, errors)
    fields.take("subject", choice(tuple(SubjectKind)), nullable=False)
    fields.take("code", code, nullable=False)
    fields.take("kind", choice(tuple(DecisionKind)), nullable=False)
    fields.take("reference", text(64), nullable=False)
    fields.take("reason", text(4000, min_length=0), nullable=True)
    for name in ("subject", "code", "kind", "reference"):
        if name not in raw:
            fields.error(name, N_("is required"), "required")
    kind = fields.values.get("kind")
    if kind is None:
        fields.reject_unknown(DECISION_COMMON_FIELDS + _all_kind_fields())
        return None
    kind = DecisionKind(kind)
    start_field, end_field = DECISION_DATE_FIELDS[kind]
    target_field = DECISION_TARGET_FIELD.get(kind)
    allowed = DECISION_COMMON_FIELDS + tuple(
        name for name in (start_field, end_field, target_field) if name
    ) + (("override_reason",) if kind is DecisionKind.GRANT else ())
    for name in raw:
        if name not in allowed:
            if name not in _all_kind_fields():
                fields.error(name, N_("unknown field"), "unknown_field")
            else:
                fields.errors.append(FieldError.said(f"{path}.{name}", N_("is not a field of a %(kind)s decision"), "unknown_field", kind=str(kind)))
    if start_field:
        fields.take(start_field, iso_date, nullable=False)
        if start_field not in raw:
            fields.errors.append(FieldError.said(f"{path}.{start_field}", N_("is required for a %(kind)s"), "required", kind=str(kind)))
    if end_field:
        fields.take(end_field, iso_date, nullable=True)
    if target_field:
        fields.take(target_field, text(64), nullable=False)
        if target_field not in raw:
            fields.errors.append(FieldError.said(f"{path}.{target_field}", N_("is required for a %(kind)s"), "required", kind=str(kind)))
    if kind is DecisionKind.GRANT:
        fields.take("override_reason", text(4000), nullable=True)
    starts, ends = fields.values.get(start_field or ""), fields.values.get(end_field or "")
    if starts is not None and ends is not None and ends < starts:
        fields.errors.append(FieldError.said(f"{path}.{end_field}", N_("ends before it starts (%(end_field)s %(ends)s is before %(start_field)s %(starts)s)"),
                                            "period_ends_before_start", end_field=end_field, ends=str(ends), start_field=start_field, starts=str(starts)))
    return fields.values


def _all_kind_fields() -> tuple[str, ...]:
    return ("valid_from", "valid_until", "from", "until", "date", "suspension", "effective", "target", "override_reason")
