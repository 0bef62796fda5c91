"""In-memory search structures over a verification-index snapshot, for public search.

Coaches: every folded word of every coach in one sorted list of (word, position), positions in
display order (surname, initials). A typed word is a range of that list found by bisection, so a
search costs its matches, not the register's size: 100,000 coaches answer in about a millisecond.
Programmes (a few thousand) are grouped by city and filtered by a scan of the city's few.
A place typed by another of its names ("den bosch") is searched by each of them (registry.spelling); a search
that finds nothing can ask the `Vocabulary` of the register's words for the nearest spelling.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Sequence

from registry import rules
from registry.schemas.history import Accreditation
from registry.search_text import fold, query_words
from registry.services.public.listings import matching
from registry.services.public.read import published_standing, today
from registry.services.verification.snapshot import CoachEntry, ProgrammeEntry, Snapshot
from registry.spelling import Vocabulary, place_names, query_variants

log = logging.getLogger(__name__)
REBUILD_WAIT_SECONDS = 0.1
SMALL_REGISTER_COACHES = 5_000  # rebuilt in about 30 ms on a quiet machine (100,000: about 1 s)


class _Standings:
    """Status on a day per set of decisions, worked out once: a status-filtered search over 100,000 coaches
    would otherwise run the rules for every one of them on every request (seconds on the event loop)."""

    # Past this many remembered sets (old snapshots' decisions) start afresh.
    LIMIT = 400_000

    def __init__(self) -> None:
        self.day: dt.date | None = None
        self._statuses: tuple[CoachSearch, dt.date, list[rules.Status]] | None = None
        self._known: dict[int, tuple[tuple[rules.Decision, ...], tuple[rules.Status, Accreditation | None]]] = {}
        # kept()'s lists, for one search and day (keyed by the common list's id: the search holds that list).
        self._kept: dict[tuple[int | None, str], array[int]] = {}
        self._kept_for: tuple[CoachSearch, dt.date] | None = None

    def of(self, decisions: tuple[rules.Decision, ...], on: dt.date) -> tuple[rules.Status, Accreditation | None]:
        """published_standing(decisions, on), remembered for this (immutable) tuple of decisions and day."""
        if on != self.day or len(self._known) > self.LIMIT:
            self._known, self.day = {}, on
        # Keyed by identity, with the tuple kept beside the answer: an id is never reused while it is held here.
        hit = self._known.get(id(decisions))
        if hit is not None and hit[0] is decisions:
            return hit[1]
        value = published_standing(decisions, on)
        self._known[id(decisions)] = (decisions, value)
        return value

    def warm(self, search: "CoachSearch", on: dt.date) -> None:
        """Every coach's status for the day, by position in `search`, ahead of filtered searches (on a worker thread)."""
        statuses = [self.of(entry.decisions, on)[0] for entry in search.coaches]
        self._statuses = (search, on, statuses)

    def statuses(self, search: "CoachSearch", on: dt.date) -> list[rules.Status] | None:
        """Each coach's status on the day by position in `search`, if worked out already for exactly this search."""
        held = self._statuses
        return held[2] if held is not None and held[0] is search and held[1] == on else None

    def kept(self, search: "CoachSearch", on: dt.date, statuses: list[rules.Status], found: Sequence[int] | None,
             status: str) -> Sequence[int]:
        """The positions of `found` (None: every coach) whose status is `status`; remembered for every coach and for the
        common prefixes' long lists (search.common), so that a filtered search for "0" or "c" is not a pass over 100,000."""
        if found is not None and not any(found is common for common in search.common.values()):
            return [position for position in found if statuses[position] == status]
        if self._kept_for is None or self._kept_for[0] is not search or self._kept_for[1] != on:
            self._kept, self._kept_for = {}, (search, on)
        key = (None if found is None else id(found), status)
        kept = self._kept.get(key)
        if kept is None:
            kept = self._kept[key] = array("i", (p for p in (range(len(statuses)) if found is None else found) if statuses[p] == status))
        return kept


STANDINGS = _Standings()


@dataclass(frozen=True, slots=True)
class CoachSearch:
    """Coaches in display order; their words sorted, with the position of the coach beside each."""

    coaches: tuple[CoachEntry, ...]
    words: list[str]
    positions: list[int]
    by_city: dict[str, list[int]]
    # The coaches of each prefix whose run of words is long (a letter, "c" of every registration number, "0"),
    # distinct and in display order, worked out once: a search for one of them is then a lookup, not a
    # union and sort of up to 100,000 positions on the event loop for every request.
    common: dict[str, array[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, snapshot: Snapshot, common_run: int = 0) -> "CoachSearch":
        """Build from every coach of the snapshot (prefixes with runs of `common_run` words worked out ahead; 0: COMMON_RUN)."""
        coaches = tuple(sorted(snapshot.coaches.values(), key=lambda coach: coach.sort_key))
        pairs: list[tuple[str, int]] = []
        by_city: dict[str, list[int]] = {}
        for position, coach in enumerate(coaches):
            pairs.extend((word, position) for word in set(coach.search_text.split()))
            if coach.city:
                by_city.setdefault(fold(coach.city), []).append(position)
        pairs.sort()
        words, positions = [word for word, _ in pairs], [position for _, position in pairs]
        return cls(coaches, words, positions, by_city, _common_prefixes(words, positions, common_run or COMMON_RUN))

    def rebound(self, snapshot: Snapshot) -> "CoachSearch":
        """The same structure over the snapshot's entries: for a snapshot whose coaches search alike (same search_key)."""
        current = snapshot.coaches
        return CoachSearch(tuple(current[coach.registration_number] for coach in self.coaches), self.words, self.positions, self.by_city,
                           self.common)

    def _range_of(self, prefix: str) -> tuple[str, int, int]:
        # Words starting with the prefix form one run of the sorted list: two bisections.
        start = bisect_left(self.words, prefix)
        return prefix, start, bisect_left(self.words, prefix + "\U0010ffff", start)

    def find(self, query: str | None, city: str | None) -> Sequence[int] | None:
        """Positions (display order) of coaches whose words start with every typed word, in the city; None: all.

        A query naming a place by another of its names finds the coaches of either (union of the variants)."""
        variants = query_variants(query)
        if len(variants) == 1:  # the usual case: one spelling, its positions sorted already
            return self._find_words(variants[0], city)
        found: set[int] = set()
        for variant in variants:
            positions = self._find_words(variant, city)
            if positions is None:
                return None
            found.update(positions)
        return sorted(found)

    def _find_words(self, query: str, city: str | None) -> Sequence[int] | None:
        positions: set[int] | None = None
        ranges = sorted((self._range_of(word) for word in query_words(query)), key=lambda found: found[2] - found[1])
        if len(ranges) == 1 and city is None and (held := self.common.get(ranges[0][0])) is not None:
            return held
        for word, start, end in ranges:  # the fewest matches first: each later word only narrows what is left
            if positions is None:
                held = self.common.get(word)
                positions = set(self.positions[start:end] if held is None else held)
            elif len(positions) * 16 < end - start:
                # A few coaches left: looking at their own words costs less than walking the long run (about 16x per item).
                positions = {position for position in positions
                             if any(own.startswith(word) for own in self.coaches[position].search_text.split())}
            else:
                positions.intersection_update(self.positions[start:end])
            if not positions:
                return []
        if city is not None:
            in_city = [position for name in place_names(city) for position in self.by_city.get(name, ())]
            positions = set(in_city) if positions is None else positions.intersection(in_city)
        return None if positions is None else sorted(positions)


# A prefix whose words belong to at least this many coach/word pairs has its coaches worked out ahead. At most
# (pairs x longest word) / COMMON_RUN prefixes qualify (about 40 at 100,000 coaches, 10 MB).
COMMON_RUN = 20_000


def _common_prefixes(words: list[str], positions: list[int], run: int) -> dict[str, array[int]]:
    """Each prefix with a run of at least `run` sorted words: its coaches' positions, distinct and sorted."""
    common: dict[str, array[int]] = {}
    length = 1
    while True:
        found, start = False, 0
        while start < len(words):
            word = words[start]
            if len(word) < length:  # a shorter word has no prefix of this length: step over it alone
                start = bisect_right(words, word, start)
                continue
            prefix = word[:length]
            end = bisect_left(words, prefix + "\U0010ffff", start)
            if end - start >= run:
                found = True
                common[prefix] = array("i", sorted(set(positions[start:end])))
            start = end
        if not found:  # a longer prefix never has a longer run than the one it extends
            return common
        length += 1


@dataclass(frozen=True, slots=True)
class ProgrammeSearch:
    """Programmes by name, and per city."""

    programmes: tuple[ProgrammeEntry, ...]
    by_city: dict[str, tuple[ProgrammeEntry, ...]]

    @classmethod
    def build(cls, snapshot: Snapshot) -> "ProgrammeSearch":
        """Build from every programme of the snapshot."""
        programmes = tuple(sorted(snapshot.programmes.values(), key=lambda programme: (programme.name, programme.code)))
        by_city: dict[str, list[ProgrammeEntry]] = {}
        for programme in programmes:
            for city in {fold(city) for city in programme.cities if city}:
                by_city.setdefault(city, []).append(programme)
        return cls(programmes, {city: tuple(entries) for city, entries in by_city.items()})

    def busiest_city(self) -> str | None:
        """The place where most programmes are offered, as the register writes it (the home page's example)."""
        if not self.by_city:
            return None
        folded = max(self.by_city, key=lambda city: (len(self.by_city[city]), city))
        return next(city for city in self.by_city[folded][0].cities if fold(city) == folded)

    def rebound(self, snapshot: Snapshot) -> "ProgrammeSearch":
        """The same structure over the snapshot's entries: for a snapshot whose programmes search alike (same search_key)."""
        current = snapshot.programmes
        return ProgrammeSearch(tuple(current[programme.code] for programme in self.programmes),
                               {city: tuple(current[programme.code] for programme in entries) for city, entries in self.by_city.items()})

    def find(self, query: str | None, guidance_type: str | None, programme_format: str | None, mode: str | None, city: str | None) -> list[ProgrammeEntry]:
        """Programmes matching every filter, by name then code; a place by any of its names, in the query or the city."""
        if not city or not fold(city):
            candidates: tuple[ProgrammeEntry, ...] = self.programmes
        else:
            names = place_names(city)
            in_place = {programme.code for name in names for programme in self.by_city.get(name, ())}
            candidates = self.by_city.get(names[0], ()) if len(names) == 1 else tuple(
                programme for programme in self.programmes if programme.code in in_place)
        kept = [
            programme
            for programme in candidates
            if (not guidance_type or programme.guidance_type == guidance_type)
            and (not programme_format or programme.format == programme_format)
            and (not mode or mode in programme.modes)
        ]
        return list(matching(kept, query))


def vocabulary_of(snapshot: Snapshot) -> Vocabulary:
    """The words of the register's coaches, programmes and providers, for spelling suggestions."""
    texts = [coach.search_text for coach in snapshot.coaches.values()]
    texts.extend(programme.search_text for programme in snapshot.programmes.values())
    texts.extend(fold(programme.provider.name) for programme in snapshot.programmes.values() if programme.provider)
    originals = [coach.name for coach in snapshot.coaches.values()] + [coach.city for coach in snapshot.coaches.values() if coach.city]
    for programme in snapshot.programmes.values():
        originals.extend([programme.name, *programme.cities])
    return Vocabulary.build(texts, originals)


@dataclass(frozen=True, slots=True)
class Searches:
    """Both search structures of one snapshot, and the words they hold for spelling suggestions."""

    coaches: CoachSearch
    programmes: ProgrammeSearch
    vocabulary: Vocabulary

    @classmethod
    def build(cls, snapshot: Snapshot) -> "Searches":
        """Build all three; the caller freezes the result out of the garbage collector's way."""
        return cls(CoachSearch.build(snapshot), ProgrammeSearch.build(snapshot), vocabulary_of(snapshot))

    def rebound(self, snapshot: Snapshot) -> "Searches":
        """The structures over a snapshot with the same search_key: a pass over the entries instead of sorting every word."""
        return Searches(self.coaches.rebound(snapshot), self.programmes.rebound(snapshot), self.vocabulary)

    def suggest(self, query: str | None) -> str | None:
        """The query spelt as the register spells its words ("utrect" -> "Utrecht"); None when no word is nearer."""
        return self.vocabulary.suggest(query)


class SearchIndex:
    """The search structures for the newest snapshot; rebuilt off the request path when it changes."""

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._searches: Searches | None = None
        self._building: asyncio.Task[None] | None = None
        self._warming: asyncio.Task[None] | None = None

    async def for_snapshot(self, snapshot: Snapshot) -> Searches:
        """The searches of this snapshot, or of the previous one while a rebuild runs."""
        if self._searches is None:
            await self._build(snapshot)
        elif snapshot is not self._snapshot:
            if self._building is None or self._building.done():
                self._building = asyncio.create_task(self._build(snapshot))
            # A small register's rebuild is waited for, so a search right after a change finds it even on a
            # busy machine; a big one answers from the previous build for the second or so its rebuild takes.
            wait = None if len(snapshot.coaches) <= SMALL_REGISTER_COACHES else REBUILD_WAIT_SECONDS
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._building), wait)
        assert self._searches is not None
        searches = self._searches
        if STANDINGS.statuses(searches.coaches, today()) is None and (self._warming is None or self._warming.done()):
            # A new build or day: every coach's status for status-filtered searches is worked out off the event loop
            # (after a change only the changed coaches' rules run again; the rest are remembered).
            self._warming = asyncio.create_task(asyncio.to_thread(STANDINGS.warm, searches.coaches, today()))
        return self._searches

    async def _build(self, snapshot: Snapshot) -> None:
        previous, searches = self._snapshot, self._searches
        if previous is not None and searches is not None and snapshot.search_key is previous.search_key:
            # Only decisions changed (the usual staff change): words and order stay, entries are re-pointed.
            self._snapshot, self._searches = snapshot, searches.rebound(snapshot)
            return
        built = await asyncio.to_thread(Searches.build, snapshot)
        self._snapshot, self._searches = snapshot, built
        # Hundreds of thousands of long-lived objects: keep them out of every later GC pass
        # (a full collection over them stalled requests for ~0.4 s).
        gc.freeze()
        log.info("search index built: %s coaches, %s programmes", len(built.coaches.coaches), len(built.programmes.programmes))

    async def stop(self) -> None:
        """Wait for a rebuild, and statuses being worked out, in progress."""
        if self._building is not None and not self._building.done():
            await self._building
        if self._warming is not None and not self._warming.done():
            await self._warming
