"""Errors services raise: every problem named with the field it concerns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field; `field` is a JSON path such as decisions[1].valid_until.

    `message` is the English text the API and the command line show; `template` and `params`
    let a page say the same in the reader's language (the template is a message id).
    """

    field: str
    message: str
    code: str = "invalid"
    template: str = ""
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def said(cls, field: str, template: str, code: str = "invalid", /, **params: Any) -> "FieldError":
        """An error whose English message is the template filled in."""
        return cls(field, template % params, code, template, tuple(params.items()))

    def in_language(self, gettext: Callable[[str], str]) -> str:
        """The message in the language `gettext` translates into."""
        if not self.template:
            return self.message
        return gettext(self.template) % dict(self.params)

    def as_dict(self) -> dict[str, str]:
        """The problem+json `errors` item."""
        return {"field": self.field, "message": self.message, "code": self.code}


class Refusal(ValueError):
    """A value a field check refuses, with a message id and its parameters for translation."""

    def __init__(self, template: str, **params: Any):
        super().__init__(template % params)
        self.template = template
        self.params = tuple(params.items())


class ValidationFailed(Exception):
    """Input was refused; nothing was written."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{error.field}: {error.message}" for error in errors))


class NotFound(Exception):
    """A record asked for by code or id does not exist."""


class EditConflict(Exception):
    """Someone else changed the record since the form was opened; nothing was written."""

    def __init__(self, section: str, code: str, current: dict[str, Any]):
        super().__init__(f"{section} {code} was changed by someone else")
        self.section = section
        self.code = code
        self.current = current
