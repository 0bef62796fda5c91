"""RFC 9457 problem details, the body of every 4xx/5xx answer."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType


class FieldProblem(Struct):
    """One problem with one field."""

    field: str
    message: str
    code: str


class Problem(Struct):
    """RFC 9457 problem details; `errors` names every refused field; the other members are there only where they apply."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | UnsetType = UNSET
    database: Annotated[str, Meta(description="On /health/ready only: the database cannot be reached.")] | UnsetType = UNSET
    pending_migrations: Annotated[list[str], Meta(description="On /health/ready only: migrations not yet applied.")] | UnsetType = UNSET
