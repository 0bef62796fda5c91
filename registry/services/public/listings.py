"""Trainings and organisations for public search, held in memory for the register version the index has reached.

A few thousand rows (2,625 on the 100,000-coach demo), read in one transaction in the order the
database sorts them (each engine's collation decides, as the list queries' ORDER BY did) and read
again, once, when the register version of the verification index's snapshot moves (every audited
register change moves it; on PostgreSQL another instance's change reaches it when the index
catches up). A row matches a query exactly as `search_text LIKE '% word%'` did: for any spelling
of the query, `" " + word` occurs in its stored search_text for every word. Stored text and typed
words are both folded (lower-case ASCII letters, digits and spaces: registry.search_text), so
SQLite's case-blind and PostgreSQL's case-sensitive LIKE agreed on them, and so does this.
"""

from __future__ import annotations

import asyncio
import contextvars
from dataclasses import dataclass
from typing import Protocol, Sequence, TypeVar

from registry.rules import GuidanceType, ProgrammeFormat
from registry.schemas.public import NamedCode
from registry.schemas.search import OrganisationSummary
from registry.search_text import query_words
from registry.services.public import queries
from registry.services.public.read import json_list
from registry.services.sql import reading
from registry.services.verification.index import VerificationIndex
from registry.spelling import query_variants


@dataclass(frozen=True, slots=True)
class ListedTraining:
    """A training as the public lists show it, and the folded text it is found by."""

    id: int
    code: str
    name: str
    institute: NamedCode | None
    guidance_types: tuple[GuidanceType, ...]  # the vocabulary's values as stored
    formats: tuple[ProgrammeFormat, ...]
    search_text: str


@dataclass(frozen=True, slots=True)
class ListedOrganisation:
    """An organisation as the public lists show it, and the folded text it is found by."""

    summary: OrganisationSummary
    search_text: str


@dataclass(frozen=True, slots=True)
class Listings:
    """Every training and organisation in list order, as of one register version."""

    version: int
    trainings: tuple[ListedTraining, ...]
    organisations: tuple[ListedOrganisation, ...]


class _Searchable(Protocol):
    @property
    def search_text(self) -> str: ...


Row = TypeVar("Row", bound=_Searchable)


def matching(rows: Sequence[Row], query: str | None) -> Sequence[Row]:
    """The rows, in their order, whose text holds ` word` for every word of any spelling of the query; no words: all."""
    spellings = [[f" {word}" for word in query_words(variant)] for variant in query_variants(query)]
    spellings = [words for words in spellings if words]
    if not spellings:
        return rows
    if len(spellings) == 1:  # the usual case: one spelling
        return _containing(rows, spellings[0])
    found = {id(row) for words in spellings for row in _containing(rows, words)}
    return [row for row in rows if id(row) in found]


def _containing(rows: Sequence[Row], words: list[str]) -> Sequence[Row]:
    """The rows whose text holds every word: one plain pass per word, each over what the last one left."""
    for word in words:
        rows = [row for row in rows if word in row.search_text]
    return rows


def _training(row: dict) -> ListedTraining:
    institute = NamedCode(row["institute_code"], row["institute_name"]) if row["institute_code"] else None
    return ListedTraining(row["id"], row["code"], row["name"], institute, tuple(json_list(row["guidance_types"])),
                          tuple(json_list(row["formats"])), row["search_text"] or "")


def _organisation(row: dict) -> ListedOrganisation:
    summary = OrganisationSummary(row["code"], row["name"], row["city"], json_list(row["agb_codes"]))
    return ListedOrganisation(summary, row["search_text"] or "")


class ListingIndex:
    """The listings of the verification index's register version: one read per new version, shared by the requests."""

    def __init__(self, index: VerificationIndex) -> None:
        self.index = index
        self._held: Listings | None = None
        self._loading: asyncio.Task[None] | None = None

    async def current(self) -> Listings:
        """The listings as of the index's register version, caught up first (as the index is for each request)."""
        await self.index.current()
        # A read already under way may have started before the version moved: then one more, for the version now.
        for _ in range(2):
            version = self.index.snapshot.register_version
            held = self._held
            if held is not None and held.version == version:
                return held
            if self._loading is None or self._loading.done():
                # A fresh context: the task must not share a caller's open transaction (Piccolo keeps it in a context variable).
                self._loading = asyncio.create_task(self._load(version), context=contextvars.Context())
            await asyncio.shield(self._loading)
        assert self._held is not None
        return self._held

    async def _load(self, version: int) -> None:
        async with reading(self.index.engine) as reader:
            trainings = await reader.fetch_all(queries.LISTED_TRAININGS)
            organisations = await reader.fetch_all(queries.LISTED_ORGANISATIONS)
        self._held = Listings(version, tuple(map(_training, trainings)), tuple(map(_organisation, organisations)))

    async def stop(self) -> None:
        """Wait for a read in progress."""
        if self._loading is not None and not self._loading.done():
            await asyncio.wait([self._loading])
