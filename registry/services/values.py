"""Checks of single values as forms and import documents give them; each refusal names what is wrong."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable, TypeVar

from registry.messages import N_
from registry.services.errors import FieldError, Refusal

# Every pattern is used with fullmatch: `$` alone also matches before a final newline.
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
EIGHT_DIGITS = re.compile(r"[0-9]{8}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
POSTCODE = re.compile(r"([1-9][0-9]{3}) ?([A-Za-z]{2})")
PHONE = re.compile(r"\+?[0-9][0-9 ()-]{5,18}[0-9]")
# Only http(s): a website is shown as a link, and any other scheme (javascript:, data:) must never reach an href.
WEBSITE = re.compile(r"https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]{1,5})?(/[^\s<>\"']*)?", re.ASCII)
# NUL and the other C0 and C1 control characters, and the bidi embeddings, overrides and isolates that
# make text read differently from what it holds. Tab, newline and carriage return only in multi-line text.
CONTROL_CHARACTERS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
UNSAFE_IN_LINES = re.compile(f"[{CONTROL_CHARACTERS}{BIDI_CONTROLS}]")
UNSAFE_IN_LINE = re.compile(f"[\t\n\r{CONTROL_CHARACTERS}{BIDI_CONTROLS}]")
# Dates and times the registry accepts: far wider than any accreditation, and far from the ends of the
# calendar, so that a day after, a day before or a change of time zone can always be computed.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
MAX_LIST_ITEMS = 200
Day = TypeVar("Day", bound=dt.date)  # a date, or a datetime (a date's subclass)
CITY_LENGTH = 100


def refusal_error(name: str, problem: Refusal) -> FieldError:
    """A check's refusal as the error of field `name`."""
    return FieldError(name, str(problem), "invalid", problem.template, problem.params)


def refused(name: str, check: Callable[[Any], Any], value: Any) -> list[FieldError]:
    """The error of field `name` when `check` refuses `value`; none when it passes."""
    try:
        check(value)
    except Refusal as problem:
        return [refusal_error(name, problem)]
    return []


class FieldReader:
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
        if nullable and isinstance(value, str) and not value.strip():
            # An empty cell of an untidy export means the field is absent, not a value to refuse.
            value = None
        if value is None:
            if nullable:
                self.values[name] = None
            else:
                self.error(name, N_("must not be null"), "required")
            return
        try:
            self.values[name] = check(value)
        except Refusal as problem:
            self.errors.append(refusal_error(f"{self.path}.{name}", problem))

    def reject_unknown(self, allowed: tuple[str, ...]) -> None:
        for name in self.raw:
            if name not in allowed:
                self.error(name, N_("unknown field"), "unknown_field")


def unsafe_character(value: str, lines: bool = False) -> str | None:
    """The first character text may not hold (see UNSAFE_IN_LINE), written as U+XXXX; None when there is none."""
    found = (UNSAFE_IN_LINES if lines else UNSAFE_IN_LINE).search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def escaped(value: str) -> str:
    """Text from outside with each control or text-direction character written as \\uXXXX, so it can be stored and shown."""
    return UNSAFE_IN_LINE.sub(lambda found: f"\\u{ord(found.group()):04x}", value)


def refuse_unsafe(value: str, lines: bool = False) -> str:
    """The text unchanged, or a Refusal naming the first control or bidi character it holds."""
    if (character := unsafe_character(value, lines)) is not None:
        raise Refusal(N_("must not contain control or text-direction characters (found %(character)s)"), character=character)
    return value


def text(max_length: int, min_length: int = 1, lines: bool = False) -> Callable[[Any], str]:
    """A string of bounded length, trimmed, without control characters (tab and newline allowed with `lines`)."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Refusal(N_("must be a string"))
        value = refuse_unsafe(value.strip(), lines)
        if len(value) < min_length:
            raise Refusal(N_("must not be empty"))
        if len(value) > max_length:
            raise Refusal(N_("must be at most %(limit)d characters"), limit=max_length)
        return value

    return check


def accepted_day(day: dt.date) -> bool:
    """True when the day lies within the years the registry accepts."""
    return FIRST_DAY <= day <= LAST_DAY


def in_range(moment: Day) -> Day:
    """The date (or a moment by its own date), or a Refusal when it lies outside the years the registry accepts."""
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    if not accepted_day(day):
        raise Refusal(N_("must lie between %(first)s and %(last)s"), first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())
    return moment


def code(value: Any) -> str:
    """A registry code, matched case-insensitively and kept upper-case."""
    if not isinstance(value, str) or not CODE_PATTERN.fullmatch(value.strip().upper()):
        raise Refusal(N_("must be a code of letters, digits and '-' (at most 32), starting with a letter or digit"))
    return value.strip().upper()


def eight_digits(value: Any) -> str:
    """An AGB code or KvK number: exactly 8 digits as a string (leading zeros count)."""
    if not isinstance(value, str) or not EIGHT_DIGITS.fullmatch(value):
        raise Refusal(N_("must be a string of exactly 8 digits"))
    return value


def iso_date(value: Any) -> dt.date:
    """A calendar date written YYYY-MM-DD, within the years the registry accepts."""
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise Refusal(N_("must be a date written YYYY-MM-DD"))
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise Refusal(N_("is not a real calendar date")) from None
    return in_range(day)


def boolean(value: Any) -> bool:
    """true or false, as JSON writes them."""
    if not isinstance(value, bool):
        raise Refusal(N_("must be true or false"))
    return value


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
        if len(value) > MAX_LIST_ITEMS:
            raise Refusal(N_("must name at most %(limit)d values"), limit=MAX_LIST_ITEMS)
        unknown = [item for item in value if item not in options]
        if unknown:
            raise Refusal(N_("unknown value %(value)r; allowed: %(options)s"), value=unknown[0], options=", ".join(options))
        if not value and not allow_empty:
            raise Refusal(N_("must name at least one value"))
        return [option for option in options if option in value]

    return check


def city_list(value: Any) -> list[str]:
    """A list of place names, each as a city field takes it."""
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise Refusal(N_("must be a list of place names"))
    if len(value) > MAX_LIST_ITEMS:
        raise Refusal(N_("must name at most 200 places"))
    places = [refuse_unsafe(item.strip()) for item in value]
    if any(len(place) > CITY_LENGTH for place in places):
        raise Refusal(N_("a place name must be at most %(limit)d characters"), limit=CITY_LENGTH)
    return list(dict.fromkeys(places))


def agb_codes(value: Any) -> list[str]:
    """AGB codes of a practice and its locations: a list of 8-digit strings, each once, in the order given."""
    if not isinstance(value, list):
        raise Refusal(N_("must be a list of AGB codes (strings of exactly 8 digits)"))
    if len(value) > MAX_LIST_ITEMS:
        raise Refusal(N_("must name at most 200 AGB codes"))
    codes = [item.strip() if isinstance(item, str) else item for item in value]
    if not all(isinstance(item, str) and EIGHT_DIGITS.fullmatch(item) for item in codes):
        raise Refusal(N_("must be a list of AGB codes (strings of exactly 8 digits)"))
    return list(dict.fromkeys(codes))


def email(value: Any) -> str:
    """An e-mail address."""
    value = text(254)(value)
    if not EMAIL.fullmatch(value):
        raise Refusal(N_("must be an e-mail address"))
    return value


def postcode(value: Any) -> str:
    """A Dutch postcode, written '1234 AB'."""
    found = POSTCODE.fullmatch(value.strip()) if isinstance(value, str) else None
    if not found:
        raise Refusal(N_("must be a postcode like 1234 AB"))
    return f"{found.group(1)} {found.group(2).upper()}"


def phone(value: Any) -> str:
    """A phone number of digits, spaces, '-', brackets and a leading '+'."""
    value = text(20)(value)
    if not PHONE.fullmatch(value) or sum(char.isdigit() for char in value) < 7:
        raise Refusal(N_("must be a phone number of digits, for example 030 123 45 67"))
    return value


def website(value: Any) -> str:
    """A website address starting with https:// or http://."""
    value = text(200)(value)
    if not WEBSITE.fullmatch(value):
        raise Refusal(N_("must be a website address starting with https://"))
    return value
