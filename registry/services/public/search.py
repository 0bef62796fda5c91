"""Public search over programmes, coaches and trainings: accent- and case-insensitive word prefixes.

Text is matched against the folded `search_text` of each record (registry.search_text): every
word typed must start a word of the record ("dijk" finds "van Dijk", "leeuw" finds Leeuwarden).
Programmes and coaches are searched in memory (registry.services.public.search_index), trainings in the
database. Status is the status today from the verification index's snapshot.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from registry import rules
from registry.search_text import fold, query_words
from registry.services.public.search_index import CoachSearch, ProgrammeSearch
from registry.services.sql import Writer
from registry.services.verification.snapshot import Snapshot

MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Page:
    """Which page of results, and how many per page."""

    number: int = 1
    size: int = 20

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return (self.number - 1) * self.size


def _text_conditions(query: str | None, column: str) -> tuple[list[str], list[Any]]:
    conditions, params = [], []
    for word in query_words(query):
        conditions.append(f"{column} LIKE ?")
        params.append(f"% {word}%")
    return conditions, params


def _standing(decisions: tuple[rules.Decision, ...], on: dt.date) -> tuple[str, dict[str, Any] | None]:
    now = rules.standing(decisions, on)
    grant = now.accreditation
    accreditation = None
    if grant is not None:
        accreditation = {
            "valid_from": grant.starts_on.isoformat() if grant.starts_on else None,
            "valid_until": grant.ends_on.isoformat() if grant.ends_on else None,
            "reference": grant.reference,
        }
    return str(now.status), accreditation


async def _paged(
    reader: Writer, select: str, where: list[str], params: list[Any], order: str, page: Page,
    status: str | None, status_of: Any,
) -> tuple[list[dict[str, Any]], int]:
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    if status is None:
        total = (await reader.fetch_one(f"SELECT COUNT(*) AS n FROM ({select}{clause}) AS matches", *params))["n"]
        rows = await reader.fetch_all(f"{select}{clause} ORDER BY {order} LIMIT ? OFFSET ?", *params, page.size, page.offset)
        return rows, int(total)
    # Status is derived, not stored: filter the matches by it, then take the page.
    rows = [row for row in await reader.fetch_all(f"{select}{clause} ORDER BY {order}", *params) if status_of(row) == status]
    return rows[page.offset : page.offset + page.size], len(rows)


def _page_of(matches: list[Any], page: Page, status: str | None, on: dt.date) -> tuple[list[tuple[Any, str, dict[str, Any] | None]], int]:
    """The page's entries with their status today and current grant; status filters before paging."""
    if status is None:
        chosen = matches[page.offset : page.offset + page.size]
        return [(entry, *_standing(entry.decisions, on)) for entry in chosen], len(matches)
    kept = []
    for entry in matches:
        standing = _standing(entry.decisions, on)
        if standing[0] == status:
            kept.append((entry, *standing))
    return kept[page.offset : page.offset + page.size], len(kept)


def search_programmes(
    search: ProgrammeSearch, on: dt.date, page: Page, q: str | None = None, guidance_type: str | None = None,
    programme_format: str | None = None, mode: str | None = None, city: str | None = None, status: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Programmes matching every filter, by name."""
    matches = search.find(q, guidance_type, programme_format, mode, city)
    rows, total = _page_of(matches, page, status, on)
    items = [
        {
            "code": entry.code,
            "name": entry.name,
            "provider": {"code": entry.provider["code"], "name": entry.provider["name"]} if entry.provider else None,
            "guidance_type": entry.guidance_type,
            "format": entry.format,
            "modes": list(entry.modes),
            "cities": list(entry.cities),
            "status": item_status,
            "accreditation": accreditation,
        }
        for entry, item_status, accreditation in rows
    ]
    return items, total


def search_coaches(
    search: CoachSearch, on: dt.date, page: Page, q: str | None = None, city: str | None = None, status: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Coaches by name words or registration number, optionally in a city or with a status, by surname."""
    found = search.find(q, city if city and fold(city) else None)
    if status is None:
        # Only the page's coaches are looked at: a common name may match thousands.
        total = len(search.coaches) if found is None else len(found)
        chosen = search.coaches[page.offset : page.offset + page.size] if found is None else [
            search.coaches[position] for position in found[page.offset : page.offset + page.size]
        ]
        rows = [(entry, *_standing(entry.decisions, on)) for entry in chosen]
    else:
        matches = list(search.coaches) if found is None else [search.coaches[position] for position in found]
        rows, total = _page_of(matches, page, status, on)
    items = [
        {"registration_number": entry.registration_number, "name": entry.name, "city": entry.city, "status": item_status,
         "accreditation": accreditation}
        for entry, item_status, accreditation in rows
    ]
    return items, total


async def search_trainings(reader: Writer, snapshot: Snapshot, on: dt.date, page: Page, q: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """Trainings by name words or code."""
    where, params = _text_conditions(q, "t.search_text")
    select = (
        "SELECT t.id, t.code, t.name, t.guidance_types, t.formats, o.code AS institute_code, o.name AS institute_name "
        "FROM training t LEFT JOIN organisation o ON o.id = t.organisation"
    )
    rows, total = await _paged(reader, select, where, params, "t.name, t.code", page, None, None)
    items = []
    for row in rows:
        entry = snapshot.trainings.get(row["id"])
        item_status, accreditation = _standing(entry.facts.decisions if entry else (), on)
        items.append({
            "code": row["code"],
            "name": row["name"],
            "institute": {"code": row["institute_code"], "name": row["institute_name"]} if row["institute_code"] else None,
            "guidance_types": _list(row["guidance_types"]),
            "formats": _list(row["formats"]),
            "status": item_status,
            "accreditation": accreditation,
        })
    return items, total


def _list(value: Any) -> list[str]:
    return list(json.loads(value) if isinstance(value, str) else value or [])


async def search_organisations(reader: Writer, page: Page, q: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """Organisations (providers and training institutes) by name words, code or city."""
    where, params = _text_conditions(q, "search_text")
    select = "SELECT code, name, city FROM organisation"
    rows, total = await _paged(reader, select, where, params, "name, code", page, None, None)
    return [{"code": row["code"], "name": row["name"], "city": row["city"]} for row in rows], total
