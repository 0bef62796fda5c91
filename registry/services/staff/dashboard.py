"""The staff dashboard's figures and work lists: counts by status today, accreditations ending per month, suspensions
without an end, records never decided, recent decisions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from registry import rules
from registry.services.public.read import codes_and_references, decision_view
from registry.services.sql import Writer
from registry.services.staff import queries
from registry.services.verification.snapshot import Snapshot

EXPIRING_DAYS = 90
MONTHS_AHEAD = 12


@dataclass
class Dashboard:
    """What the dashboard shows."""

    on: dt.date
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> status -> count
    expiring: list[dict[str, Any]] = field(default_factory=list)  # ends within EXPIRING_DAYS, soonest first
    expiries_by_month: list[tuple[dt.date, int]] = field(default_factory=list)  # first of month -> grants ending that month
    recent: list[dict[str, Any]] = field(default_factory=list)
    ending: list[dict[str, Any]] = field(default_factory=list)  # every accreditation ending within MONTHS_AHEAD months, soonest first
    open_suspensions: list[dict[str, Any]] = field(default_factory=list)  # suspended today, with no end and not lifted
    never_decided: list[dict[str, Any]] = field(default_factory=list)  # records without any decision
    pending_proposals: int = 0

    def ending_in(self, month: dt.date) -> list[dict[str, Any]]:
        """The accreditations ending in the month that starts on `month`."""
        return [item for item in self.ending if item["ends_on"].replace(day=1) == month]


def _month_starts(on: dt.date, count: int) -> list[dt.date]:
    first = on.replace(day=1)
    months = []
    for offset in range(count):
        year, month = divmod(first.month - 1 + offset, 12)
        months.append(dt.date(first.year + year, month + 1, 1))
    return months


def figures(snapshot: Snapshot, on: dt.date) -> Dashboard:
    """Counts, soon-ending accreditations and the monthly expiry chart, from the in-memory index."""
    board = Dashboard(on)
    months = _month_starts(on, MONTHS_AHEAD + 1)
    per_month = dict.fromkeys(months[:-1], 0)
    horizon = on + dt.timedelta(days=EXPIRING_DAYS)
    subjects = [("programme", entry.code, entry.name, entry.decisions) for entry in snapshot.programmes.values()]
    subjects += [("coach", entry.registration_number, entry.name, entry.decisions) for entry in snapshot.coaches.values()]
    subjects += [("training", entry.code, entry.code, entry.facts.decisions) for entry in snapshot.trainings.values()]
    for kind, code, name, decisions in subjects:
        now = rules.standing(decisions, on)
        board.counts.setdefault(kind, dict.fromkeys(rules.Status, 0))
        board.counts[kind][now.status] += 1
        if not decisions:
            board.never_decided.append({"kind": kind, "code": code, "name": name})
            continue
        if now.status is rules.Status.SUSPENDED:
            for suspension in rules.history(decisions).open_suspensions:
                if suspension.ends_on is None and suspension.starts_on is not None and suspension.starts_on <= on:
                    board.open_suspensions.append({"kind": kind, "code": code, "name": name, "starts_on": suspension.starts_on,
                                                   "reference": suspension.reference})
        grant = now.accreditation if now.status is rules.Status.ACCREDITED else None
        if grant is None or grant.ends_on is None:
            continue
        item = {"kind": kind, "code": code, "name": name, "ends_on": grant.ends_on, "reference": grant.reference}
        if grant.ends_on <= horizon:
            board.expiring.append(item)
        month = grant.ends_on.replace(day=1)
        if month in per_month:
            per_month[month] += 1
            board.ending.append(item)
    for items in (board.expiring, board.ending):
        items.sort(key=lambda item: (item["ends_on"], item["kind"], item["code"]))
    board.open_suspensions.sort(key=lambda item: (item["starts_on"], item["kind"], item["code"]))
    board.never_decided.sort(key=lambda item: (item["kind"], item["code"]))
    board.expiries_by_month = list(per_month.items())
    return board


async def recent_decisions(reader: Writer, limit: int = 15) -> list[dict[str, Any]]:
    """The last decisions recorded, newest first, with their subject's code."""
    rows = await reader.fetch_all(queries.RECENT_DECISIONS, limit)
    codes, references = await codes_and_references(reader, rows)
    return [
        {"subject_kind": row["subject_kind"], "code": codes.get((row["subject_kind"], row["subject_id"])),
         "recorded_by": row["recorded_by"], **decision_view(row, references)}
        for row in rows
    ]
