"""Errors services raise: every problem named with the field it concerns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field; `field` is a JSON path such as decisions[1].valid_until."""

    field: str
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        """The problem+json `errors` item."""
        return {"field": self.field, "message": self.message, "code": self.code}


class ValidationFailed(Exception):
    """Input was refused; nothing was written."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{error.field}: {error.message}" for error in errors))


class NotFound(Exception):
    """A record asked for by code or id does not exist."""
