"""Checks of single values as forms and import documents give them; each refusal names what is wrong."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

from registry.messages import N_
from registry.services.errors import FieldError, Refusal

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
EIGHT_DIGITS = re.compile(r"^[0-9]{8}$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
