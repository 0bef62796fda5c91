"""Public search over programmes, coaches, trainings and organisations: accent- and case-insensitive word prefixes.

Text is matched against the folded `search_text` of each record (registry.search_text): every
word typed must start a word of the record ("dijk" finds "van Dijk", "leeuw" finds Leeuwarden).
Everything is searched in memory: programmes and coaches in registry.services.public.search_index,
trainings and organisations in registry.services.public.listings. Status is the status today from
the verification index's snapshot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from registry import rules
from registry.schemas.history import Accreditation
from registry.schemas.public import NamedCode
from registry.schemas.search import CoachSummary, OrganisationSummary, ProgrammeSummary, TrainingSummary
from registry.search_text import fold
from registry.services.public import queries
from registry.services.public.listings import Listings, matching
from registry.services.public.read import json_list, published_standing
from registry.services.public.search_index import STANDINGS, CoachSearch, ProgrammeSearch
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


Standing = tuple[Any, rules.Status, Accreditation | None]


def _page_of(matches: list[Any], page: Page, status: str | None, on: dt.date) -> tuple[list[Standing], int]:
    """The page's entries with their status today and current grant; status filters before paging."""
    if status is None:
        chosen = matches[page.offset : page.offset + page.size]
        return [(entry, *published_standing(entry.decisions, on)) for entry in chosen], len(matches)
    kept = []
    for entry in matches:
        entry_standing = STANDINGS.of(entry.decisions, on)
        if entry_standing[0] == status:
            kept.append((entry, *entry_standing))
    return kept[page.offset : page.offset + page.size], len(kept)


def search_programmes(
    search: ProgrammeSearch, on: dt.date, page: Page, q: str | None = None, guidance_type: str | None = None,
    programme_format: str | None = None, mode: str | None = None, city: str | None = None, status: str | None = None,
) -> tuple[list[ProgrammeSummary], int]:
    """Programmes matching every filter, by name."""
    matches = search.find(q, guidance_type, programme_format, mode, city)
    rows, total = _page_of(matches, page, status, on)
    items = [
        ProgrammeSummary(
            code=entry.code,
            name=entry.name,
            provider=NamedCode(entry.provider.code, entry.provider.name) if entry.provider else None,
            guidance_type=entry.guidance_type,
            format=entry.format,
            modes=list(entry.modes),
            cities=list(entry.cities),
            status=item_status,
            accreditation=grant,
        )
        for entry, item_status, grant in rows
    ]
    return items, total


def search_coaches(
    search: CoachSearch, on: dt.date, page: Page, q: str | None = None, city: str | None = None, status: str | None = None,
) -> tuple[list[CoachSummary], int]:
    """Coaches by name words or registration number, optionally in a city or with a status, by surname."""
    found = search.find(q, city if city and fold(city) else None)
    if status is None:
        # Only the page's coaches are looked at: a common name may match thousands.
        total = len(search.coaches) if found is None else len(found)
        chosen = search.coaches[page.offset : page.offset + page.size] if found is None else [
            search.coaches[position] for position in found[page.offset : page.offset + page.size]
        ]
        rows = [(entry, *published_standing(entry.decisions, on)) for entry in chosen]
    elif (statuses := STANDINGS.statuses(search, on)) is not None:
        # Statuses worked out ahead by position: the filter is a pass over small integers, not the rules per coach.
        kept = STANDINGS.kept(search, on, statuses, found, status)
        total = len(kept)
        rows = [(entry, *STANDINGS.of(entry.decisions, on)) for entry in (search.coaches[p] for p in kept[page.offset : page.offset + page.size])]
    else:
        matches = list(search.coaches) if found is None else [search.coaches[position] for position in found]
        rows, total = _page_of(matches, page, status, on)
    items = [CoachSummary(entry.registration_number, entry.name, entry.city, item_status, grant) for entry, item_status, grant in rows]
    return items, total


def search_trainings(listings: Listings, snapshot: Snapshot, on: dt.date, page: Page, q: str | None = None) -> tuple[list[TrainingSummary], int]:
    """Trainings by name words or code, by name."""
    found = matching(listings.trainings, q)
    items = []
    for entry in found[page.offset : page.offset + page.size]:
        decided = snapshot.trainings.get(entry.id)
        item_status, grant = published_standing(decided.facts.decisions if decided else (), on)
        items.append(TrainingSummary(
            code=entry.code,
            name=entry.name,
            institute=entry.institute,
            guidance_types=list(entry.guidance_types),
            formats=list(entry.formats),
            status=item_status,
            accreditation=grant,
        ))
    return items, len(found)


def search_organisations(listings: Listings, page: Page, q: str | None = None) -> tuple[list[OrganisationSummary], int]:
    """Organisations (providers and training institutes) by name words, code or city, by name."""
    found = matching(listings.organisations, q)
    return [entry.summary for entry in found[page.offset : page.offset + page.size]], len(found)


async def organisation_by_agb_code(reader: Writer, agb_code: str) -> list[OrganisationSummary]:
    """The organisation holding an AGB code, if any (a code identifies at most one)."""
    row = await reader.fetch_one(queries.ORGANISATION_BY_AGB_CODE, agb_code)
    return [] if row is None else [OrganisationSummary(row["code"], row["name"], row["city"], json_list(row["agb_codes"]))]


def coach_by_agb_code(snapshot: Snapshot, on: dt.date, agb_code: str) -> list[CoachSummary]:
    """The coach holding an AGB code, if any: one lookup in the verification index."""
    entry = snapshot.find_coach(None, agb_code)
    if entry is None:
        return []
    item_status, grant = published_standing(entry.decisions, on)
    return [CoachSummary(entry.registration_number, entry.name, entry.city, item_status, grant)]
