"""Checking the audit trail: the keyed hash chain, the rows its events sealed, and a published anchor.

`registry audit verify`, the staff page /admin/audit/keten and backups all ask `check_audit`, so they
give one verdict. Hashes are worked out a page of events at a time on a worker thread, so a server
checking a long chain keeps answering.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.services import queries
from registry.services.audit import event_hash, row_digest
from registry.services.audit_key import ChainKey, ChainKeyMissing, load_chain_key
from registry.services.sql import Writer

PAGE = 5000


@dataclass(frozen=True, slots=True)
class AnchorClaims:
    """What a signed anchor says: the chain held `events` events, the last with id `last_event_id` and hash `hash`."""

    events: int
    last_event_id: int
    hash: str
    keyed_from: int
    issued_at: str


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A covered row that does not match the chain: `differs` from its event, `missing` though an event wrote it, or `unrecorded`."""

    table: str
    row_id: int
    kind: str
    event_id: int | None = None

    def message(self) -> str:
        """The problem in English for the command line."""
        if self.kind == "differs":
            return f"{self.table} row {self.row_id} differs from what audit event {self.event_id} recorded"
        if self.kind == "missing":
            return f"{self.table} row {self.row_id}, written by audit event {self.event_id}, is missing"
        return f"{self.table} row {self.row_id} has no audit event that wrote it"


@dataclass(slots=True)
class AuditVerdict:
    """The outcome of one check."""

    events: int = 0
    keyed_events: int = 0
    broken: list[int] = field(default_factory=list)
    rows_checked: int = 0
    rows_before_keyed_chain: int = 0
    row_problems: list[RowProblem] = field(default_factory=list)
    # Problems that are not one event or row: no key file, the start marker, the anchor.
    problems: list[str] = field(default_factory=list)
    key_missing: bool = False
    anchor: AnchorClaims | None = None

    @property
    def intact(self) -> bool:
        """True when nothing at all is wrong."""
        return not (self.broken or self.row_problems or self.problems)


@dataclass(slots=True)
class _Walk:
    """What the chain walk carries from one page of events to the next."""

    key: ChainKey | None
    keyed_from: int
    anchor: AnchorClaims | None
    previous_hash: str = ""
    count: int = 0
    anchor_met: bool = False
    sealed: dict[str, tuple[str | None, int]] = field(default_factory=dict)


def _check_page(walk: _Walk, rows: list[dict[str, Any]], verdict: AuditVerdict) -> None:
    for row in rows:
        walk.count += 1
        content = dict(row)
        occurred = content["occurred_at"]
        content["occurred_at"] = occurred.isoformat() if isinstance(occurred, dt.datetime) else occurred
        keyed = row["id"] >= walk.keyed_from
        if keyed:
            verdict.keyed_events += 1
        elif row.get("row_ref") is not None or row.get("row_digest") is not None:
            # Only the keyed chain writes these: an event holding them before the start means the start was moved.
            verdict.problems.append(f"audit event {row['id']} seals a row but lies before the keyed chain's start (event {walk.keyed_from})")
        expected = event_hash(walk.previous_hash, content, walk.key if keyed else None)
        if row["previous_hash"] != walk.previous_hash or expected != row["hash"]:
            verdict.broken.append(row["id"])
        if row.get("row_ref"):
            walk.sealed[row["row_ref"]] = (row.get("row_digest"), row["id"])
        anchor = walk.anchor
        if anchor is not None and walk.count == anchor.events:
            walk.anchor_met = True
            if row["id"] != anchor.last_event_id or row["hash"] != anchor.hash:
                verdict.problems.append(
                    f"audit event {row['id']} (number {walk.count}) does not match the anchor of {anchor.issued_at}, which names event "
                    f"{anchor.last_event_id} with hash {anchor.hash[:16]}…: the chain up to the anchor was rewritten")
        walk.previous_hash = row["hash"]


async def _marker(reader: Writer, verdict: AuditVerdict) -> tuple[int, dict[str, int]]:
    rows = await reader.fetch_all(queries.AUDIT_CHAIN_MARK)
    if not rows:
        verdict.problems.append("the keyed chain's start marker (table audit_chain) is empty: every event is checked as keyed")
        return 1, {}
    if len(rows) > 1:
        verdict.problems.append(f"the keyed chain's start marker holds {len(rows)} rows instead of one: rows were added to it")
    return int(rows[0]["keyed_from"]), {table: int(first) for table, first in json.loads(rows[0]["rows_from"]).items()}


async def check_audit(reader: Writer, key_file: Path, rows: bool = True, anchor: AnchorClaims | None = None) -> AuditVerdict:
    """Check the chain with the key in `key_file`, then (with rows) every covered row against its last event, then the anchor."""
    verdict = AuditVerdict(anchor=anchor)
    keyed_from, rows_from = await _marker(reader, verdict)
    if anchor is not None and anchor.keyed_from != keyed_from:
        verdict.problems.append(f"the keyed chain starts at event {keyed_from}, but the anchor of {anchor.issued_at} says {anchor.keyed_from}: "
                                "the start marker was moved")
    key: ChainKey | None = None
    try:
        key = load_chain_key(key_file)
    except ChainKeyMissing:
        verdict.key_missing = True
    walk = _Walk(key, keyed_from, anchor)
    last_id = 0
    while True:
        page = await reader.fetch_all(queries.AUDIT_EVENTS_AFTER, last_id, PAGE)
        if not page:
            break
        if key is None and page[-1]["id"] >= keyed_from:
            verdict.problems.append(f"no audit chain key file at {key_file}: keyed events (from event {keyed_from} on) cannot be checked")
            verdict.events = walk.count
            return verdict
        await asyncio.to_thread(_check_page, walk, page, verdict)
        last_id = page[-1]["id"]
        if len(page) < PAGE:
            break
    verdict.events = walk.count
    if anchor is not None and not walk.anchor_met:
        verdict.problems.append(f"the anchor of {anchor.issued_at} names {anchor.events} events up to event {anchor.last_event_id}, "
                                f"but the chain holds only {walk.count}: events were deleted")
    if rows:
        await _check_rows(reader, walk.sealed, rows_from, verdict)
    return verdict


def _check_table(table: str, page: list[dict[str, Any]], sealed: dict[str, tuple[str | None, int]], first_covered: int,
                 verdict: AuditVerdict) -> None:
    for row in page:
        verdict.rows_checked += 1
        recorded = sealed.pop(f"{table}:{row['id']}", None)
        if recorded is not None:
            if recorded[0] != row_digest(table, row):
                verdict.row_problems.append(RowProblem(table, row["id"], "differs", recorded[1]))
        elif row["id"] >= first_covered:
            verdict.row_problems.append(RowProblem(table, row["id"], "unrecorded"))
        else:
            verdict.rows_before_keyed_chain += 1


async def _check_rows(reader: Writer, sealed: dict[str, tuple[str | None, int]], rows_from: dict[str, int], verdict: AuditVerdict) -> None:
    """Every covered row against the digest its last event sealed; rows from before the keyed chain only when changed since."""
    for table, statement in queries.DIGESTED_ROWS.items():
        # A table missing from the marker is checked from its first row.
        first_covered = rows_from.get(table, 1)
        page: list[dict[str, Any]] = []
        async for row in reader.stream(statement):
            page.append(row)
            if len(page) == PAGE:
                await asyncio.to_thread(_check_table, table, page, sealed, first_covered, verdict)
                page = []
        await asyncio.to_thread(_check_table, table, page, sealed, first_covered, verdict)
        prefix = f"{table}:"
        for ref in [ref for ref in sealed if ref.startswith(prefix)]:
            verdict.row_problems.append(RowProblem(table, int(ref[len(prefix):]), "missing", sealed.pop(ref)[1]))
    verdict.row_problems.sort(key=lambda problem: (problem.table, problem.row_id))
