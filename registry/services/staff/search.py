"""The staff search box: any record by code, name, city or AGB code, any decision or proposal by its reference."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from registry.services.public.read import codes_and_references
from registry.services.sql import Writer
from registry.services.staff import queries
from registry.services.staff.proposals import Proposal, proposal_from_row
from registry.services.staff.records import KINDS, list_records
from registry.services.verification.snapshot import Snapshot

PER_KIND = 20
AGB_DIGITS = 8


@dataclass
class Found:
    """What one search found: records per kind (a page of each, with the total), decisions and proposals."""

    records: dict[str, tuple[list[dict[str, Any]], int]] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many things were found."""
        return sum(total for _items, total in self.records.values()) + len(self.decisions) + len(self.proposals)

    def only_record(self) -> tuple[str, str] | None:
        """(kind, code) when exactly one record and nothing else was found: the search can go straight to it."""
        hits = [(kind, items[0]["code"]) for kind, (items, total) in self.records.items() if total == 1 and items]
        if len(hits) == 1 and self.total == 1:
            return hits[0]
        return None


async def search(reader: Writer, snapshot: Snapshot, on: dt.date, q: str) -> Found:
    """Every kind of record matching the words (or holding the AGB code), and decisions and proposals with this reference."""
    found = Found()
    text = q.strip()
    for kind in KINDS.values():
        found.records[kind.kind] = await list_records(reader, snapshot, kind, on, text, None, kind.sorts[0][0], 1, PER_KIND)
    if len(text) == AGB_DIGITS and text.isdigit():
        for kind, sql in queries.AGB_CODE_MATCHES.items():
            codes = {row["code"] for row in await reader.fetch_all(sql, text)}
            items, total = found.records[kind]
            known = {item["code"] for item in items}
            extra = [{"code": code, "name": code, "agb_match": True} for code in sorted(codes - known)]
            found.records[kind] = (items + extra, total + len(extra))
    if text:
        rows = await reader.fetch_all(queries.DECISIONS_WITH_REFERENCE, text)
        codes, _references = await codes_and_references(reader, rows)
        found.decisions = [{**row, "code": codes.get((row["subject_kind"], row["subject_id"]))} for row in rows]
        found.proposals = [proposal_from_row(row) for row in await reader.fetch_all(queries.PROPOSALS_WITH_REFERENCE, text)]
    return found
