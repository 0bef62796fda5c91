"""The foundation's decision references (`SKZ-2026-0143`): the next free one of this year's series, for staff forms."""

from __future__ import annotations

import datetime as dt

from piccolo.engine.base import Engine

from registry.messages import N_
from registry.services.errors import FieldError
from registry.services.sql import Writer, reading
from registry.services.staff import queries

PREFIX = "SKZ"
DIGITS = 4  # zero-padded to at least four; a year past 9999 decisions simply gets five
REFERENCE_CONFLICT = "reference_conflict"
TAKEN = N_("Reference %(reference)s is already used; the next free reference is %(next)s.")
# A reference a waiting proposal holds (services/staff/proposals.py's refusal) is said to be so; any other conflict is TAKEN.
WAITING = "a proposal with reference %(reference)s is already waiting for approval"
WAITING_TAKEN = N_("A proposal with reference %(reference)s is already waiting for approval; the next free reference is %(next)s.")


def series_head(on: dt.date) -> str:
    """The start every reference of the year of `on` shares: `SKZ-2026-`."""
    return f"{PREFIX}-{on.year}-"


async def next_free(reader: Writer, on: dt.date) -> str:
    """The series' highest number so far (decisions and pending proposals) plus one, in the year of `on`."""
    head = series_head(on).upper()
    row = await reader.fetch_row(queries.HIGHEST_IN_REFERENCE_SERIES, head, head, head)
    return f"{series_head(on)}{int(row['highest'] or 0) + 1:0{DIGITS}d}"


async def naming_next_free(engine: Engine, errors: list[FieldError], on: dt.date) -> list[FieldError]:
    """The errors, each reference conflict said again with the next free reference (a staff form's way); others unchanged."""
    if not any(error.code == REFERENCE_CONFLICT for error in errors):
        return errors
    async with reading(engine) as reader:
        following = await next_free(reader, on)
    return [FieldError.said(error.field, WAITING_TAKEN if error.template == WAITING else TAKEN, REFERENCE_CONFLICT,
                            reference=dict(error.params).get("reference", ""), next=following)
            if error.code == REFERENCE_CONFLICT else error for error in errors]
