"""Reading the audit trail for staff: filtered, newest first, a page at a time by id, or as rows for a CSV file."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable
from zoneinfo import ZoneInfo

from piccolo.engine.base import Engine

from registry.csv_cells import safe_cell
from registry.services.audit import canonical_json
from registry.services.sql import Writer, reading
from registry.services.staff import queries

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SUBJECT_KINDS = ("organisation", "training", "programme", "coach", "api_client", "staff_user")
PAGE_SIZE = 50
CSV_LIMIT = 100_000
CSV_BATCH = 1000
VALUE_LIMIT = 500
# One line per changed field (one line with empty field columns when nothing changed), so that a
# spreadsheet can filter on a field and no value hides inside a JSON cell.
CSV_HEADER = ["event_id", "occurred_at", "actor", "actor_role", "action", "description", "subject_kind", "subject_code", "source",
              "field", "before", "after"]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What staff narrowed the log to; empty fields match everything."""

    person: str = ""
    subject_kind: str | None = None
    subject_code: str = ""
    action: str | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None

    def where(self) -> tuple[list[str], list[Any]]:
        """Names of the conditions to meet (from `queries.AUDIT_CONDITIONS`) and the values they bind, in order."""
        conditions: list[str] = []
        params: list[Any] = []
        if self.person:
            escaped = self.person.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append("person")
            params.append(f"%{escaped}%")
        if self.subject_kind:
            conditions.append("subject_kind")
            params.append(self.subject_kind)
        if self.subject_code:
            # Codes are upper case, usernames and client ids lower case: match either without losing the index.
            conditions.append("subject_code")
            params.extend((self.subject_code, self.subject_code.upper(), self.subject_code.lower()))
        if self.action:
            conditions.append("action")
            params.append(self.action)
        if self.first_day:
            conditions.append("from")
            params.append(start_of(self.first_day))
        if self.last_day:
            conditions.append("before")
            params.append(start_of(self.last_day + dt.timedelta(days=1)))
        return conditions, params


def start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of a day in the Netherlands, in UTC."""
    return dt.datetime.combine(day, dt.time(), AMSTERDAM).astimezone(dt.timezone.utc)


@dataclass(frozen=True, slots=True)
class Change:
    """One key of a record before and after an event (None: absent)."""

    key: str
    before: str | None
    after: str | None


@dataclass(slots=True)
class AuditRow:
    """One event as staff read it."""

    id: int
    occurred_at: dt.datetime
    actor: str
    role: str | None
    action: str
    subject_kind: str | None
    subject_code: str | None
    source: str
    changes: list[Change] = field(default_factory=list)
    # What a sentence about the event names: a decision's kind and reference, a proposal's number, who proposed it.
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class AuditPage:
    """A page of events, newest first, and the ids to page on from (None: nothing further that way)."""

    rows: list[AuditRow]
    older_than: int | None
    newer_than: int | None


def _state(value: Any) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    try:
        loaded = json.loads(value)
    except ValueError:  # a row changed outside the register (SQLite does not check JSON): show it, do not fail
        return {"value": value}
    return loaded if isinstance(loaded, dict) else {"value": loaded}


def _shown(value: Any, limit: int | None) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else canonical_json(value)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def changes_of(before: Any, after: Any, limit: int | None = VALUE_LIMIT) -> list[Change]:
    """The keys whose value differs between the states before and after, in key order; long values cut at `limit`."""
    old, new = _state(before) or {}, _state(after) or {}
    missing = object()
    return [
        Change(key, _shown(old.get(key), limit), _shown(new.get(key), limit))
        for key in sorted(old.keys() | new.keys())
        if old.get(key, missing) != new.get(key, missing)
    ]


FACT_KEYS = ("kind", "reference", "proposal", "proposed_by", "decision")


def _row(record: dict[str, Any]) -> AuditRow:
    after = _state(record["after_state"]) or {}
    facts = {key: after[key] for key in FACT_KEYS if isinstance(after.get(key), (str, int)) and not isinstance(after.get(key), bool)}
    return AuditRow(record["id"], record["occurred_at"], record["actor"], record["actor_role"], record["action"],
                    record["subject_kind"], record["subject_code"], record["source"],
                    changes_of(record["before_state"], record["after_state"]), facts)


async def _select(reader: Writer, conditions: list[str], params: list[Any], order: str, limit: int) -> list[dict[str, Any]]:
    return await reader.fetch_all(queries.audit_events(conditions, order), *params, limit)


async def _any(reader: Writer, conditions: list[str], params: list[Any]) -> bool:
    return bool(await reader.fetch_all(queries.any_audit_event(conditions), *params))


async def page(reader: Writer, chosen: AuditFilter, older_than: int | None = None, newer_than: int | None = None,
               size: int = PAGE_SIZE) -> AuditPage:
    """Events matching the filter, newest first: the latest, those before id `older_than`, or those after `newer_than`."""
    conditions, params = chosen.where()
    more_older = more_newer = False
    if newer_than is not None:
        records = await _select(reader, [*conditions, "id_above"], [*params, newer_than], "oldest first", size + 1)
        more_newer = len(records) > size
        records = list(reversed(records[:size]))
        more_older = await _any(reader, [*conditions, "id_to"], [*params, newer_than])
    elif older_than is not None:
        records = await _select(reader, [*conditions, "id_below"], [*params, older_than], "newest first", size + 1)
        more_older = len(records) > size
        records = records[:size]
        more_newer = await _any(reader, [*conditions, "id_from"], [*params, older_than])
    else:
        records = await _select(reader, conditions, params, "newest first", size + 1)
        more_older = len(records) > size
        records = records[:size]
    rows = [_row(record) for record in records]
    # An empty page (a cursor past the end) still links back to the events on either side of it.
    oldest = rows[-1].id if rows else (newer_than + 1 if newer_than is not None else None)
    newest = rows[0].id if rows else (older_than - 1 if older_than is not None else None)
    return AuditPage(rows, older_than=oldest if more_older else None, newer_than=newest if more_newer else None)


def csv_lines(record: dict[str, Any], describe: Callable[[str], str]) -> list[list[str]]:
    """One event as CSV lines, one per changed field, in local time; would-be formulas neutralised."""
    occurred = record["occurred_at"].astimezone(AMSTERDAM).isoformat()
    event = [record["id"], occurred, record["actor"], record["actor_role"], record["action"], describe(record["action"]),
             record["subject_kind"], record["subject_code"], record["source"]]
    changes = changes_of(record["before_state"], record["after_state"], limit=None) or [Change("", None, None)]
    return [[safe_cell(value) for value in (*event, change.key, change.before, change.after)] for change in changes]


async def csv_batches(engine: Engine, chosen: AuditFilter, describe: Callable[[str], str],
                      limit: int = CSV_LIMIT) -> AsyncIterator[list[list[str]]]:
    """Matching events newest first as batches of CSV lines; one short read per batch, at most `limit` events."""
    conditions, params = chosen.where()
    below: int | None = None
    left = limit
    while left > 0:
        cursor = [*conditions, "id_below"] if below is not None else conditions
        async with reading(engine) as reader:
            records = await _select(reader, cursor, [*params, below] if below is not None else params, "newest first", min(CSV_BATCH, left))
        if not records:
            return
        yield [line for record in records for line in csv_lines(record, describe)]
        left -= len(records)
        below = records[-1]["id"]
