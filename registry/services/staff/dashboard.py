"""The staff dashboard's figures: counts by status today, accreditations ending soon, recent decisions."""

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
        grant = now.accreditation if now.status is rules.Status.ACCREDITED else None
        if grant is None or grant.ends_on is None:
            continue
        if grant.ends_on <= horizon:
            board.expiring.append({"kind": kind, "code": code, "name": name, "ends_on": grant.ends_on, "reference": grant.reference})
        month = grant.ends_on.replace(day=1)
        if month in per_month:
            per_month[month] += 1
    board.expiring.sort(key=lambda item: (item["ends_on"], item["kind"], item["code"]))
    board.expiries_by_month = list(per_month.items())
    return board


async def recent_decisions(reader: Writer, limit: int = 10) -> list[dict[str, Any]]:
    """The last decisions recorded, newest first, with their subject's code."""
    rows = await reader.fetch_all(queries.RECENT_DECISIONS, limit)
    codes, references = await codes_and_references(reader, rows)
    return [
        {"subject_kind": row["subject_kind"], "code": codes.get((row["subject_kind"], row["subject_id"])),
         "recorded_by": row["recorded_by"], **decision_view(row, references)}
        for row in rows
    ]
