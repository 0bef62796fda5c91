"""Many writers at once through the service layer, each with its own engine as a server process has.

Used by tests/functional/test_concurrent_writers.py and, with larger numbers, bench/concurrency.py.
Each writer cycles through four kinds of write: a decision on its own coach, a decision on a coach
every writer shares (suspend, then lift its own suspension), an edit of its own coach and an edit
of an organisation every writer shares, both with optimistic locking as the staff forms do.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from registry import db
from registry.roles import Role
from registry.services.audit import Actor, verify_chain
from registry.services.errors import EditConflict
from registry.services.imports.plan import import_document
from registry.services.sql import reading
from registry.settings import Settings
from tests.conftest import AUDIT_KEY_FILE

SHARED_COACH = "C-900000"
SHARED_ORGANISATION = "O-900000"
SEED_CITY = "Utrecht"
KINDS = ("own decision", "shared decision", "own edit", "shared edit")


def own_coach(writer: int) -> str:
    """The coach only this writer touches."""
    return f"C-9{writer + 1:05d}"


def seed_document(writers: int) -> dict[str, Any]:
    """The records the writers work on, each coach granted."""
    coaches = [SHARED_COACH, *(own_coach(index) for index in range(writers))]
    return {
        "organisations": [{"code": SHARED_ORGANISATION, "name": "Gedeelde Praktijk", "city": SEED_CITY}],
        "coaches": [{"registration_number": code, "initials": "A.", "surname": f"Schrijver {code}"} for code in coaches],
        "decisions": [{"subject": "coach", "code": code, "kind": "grant", "valid_from": "2024-01-01", "reference": f"G-{code}"}
                      for code in coaches],
    }


@dataclass
class WriterResult:
    """What one writer had acknowledged, in order, and what went wrong."""

    decisions: list[str] = field(default_factory=list)
    own_cities: list[str] = field(default_factory=list)
    shared_cities: list[str] = field(default_factory=list)
    conflicts: int = 0
    errors: list[str] = field(default_factory=list)
    # (kind, seconds) of each acknowledged write, waiting for the write lock and resubmissions included.
    timings: list[tuple[str, float]] = field(default_factory=list)

    @property
    def acknowledged(self) -> int:
        """Writes that returned without error."""
        return len(self.decisions) + len(self.own_cities) + len(self.shared_cities)


async def _version(engine: Any, table: str, column: str, code: str) -> int:
    async with reading(engine) as reader:
        return int((await reader.fetch_one(f'SELECT version FROM "{table}" WHERE {column} = ?', code))["version"])


async def _import(engine: Any, actor: Actor, document: dict[str, Any], expected: dict[tuple[str, str], int] | None = None) -> None:
    await import_document(engine, json.dumps(document).encode(), actor, expected_versions=expected)


async def one_writer(engine: Any, index: int, writes: int) -> WriterResult:
    """`writes` acknowledged-or-failed writes of the four kinds, staggered so writers do not move in step."""
    result = WriterResult()
    actor = Actor(f"user:writer-{index}", Role.EDITOR, "127.0.0.1")
    open_suspension: str | None = None
    for number in range(writes):
        kind = (number + index) % 4
        started = time.perf_counter()
        try:
            if kind == 0:
                reference = f"W{index:03d}-{number:04d}"
                decision = {"subject": "coach", "code": own_coach(index), "kind": "suspend", "from": "2026-02-01",
                            "until": "2026-02-02", "reference": reference}
                await _import(engine, actor, {"decisions": [decision]})
                result.decisions.append(reference)
            elif kind == 1:
                if open_suspension is None:
                    reference = f"S{index:03d}-{number:04d}"
                    decision = {"subject": "coach", "code": SHARED_COACH, "kind": "suspend", "from": "2026-03-01", "reference": reference}
                else:
                    reference = f"L{index:03d}-{number:04d}"
                    decision = {"subject": "coach", "code": SHARED_COACH, "kind": "lift", "date": "2026-03-10",
                                "suspension": open_suspension, "reference": reference}
                await _import(engine, actor, {"decisions": [decision]})
                result.decisions.append(reference)
                open_suspension = reference if open_suspension is None else None
            elif kind == 2:
                code, city = own_coach(index), f"Stad {index}-{number}"
                version = await _version(engine, "coach", "registration_number", code)
                await _import(engine, actor, {"coaches": [{"registration_number": code, "city": city}]}, {("coaches", code): version})
                result.own_cities.append(city)
            else:
                city = f"Plaats {index}-{number}"
                for attempt in itertools.count(1):  # as staff do after "changed by someone else": reload, submit again
                    version = await _version(engine, "organisation", "code", SHARED_ORGANISATION)
                    try:
                        await _import(engine, actor, {"organisations": [{"code": SHARED_ORGANISATION, "city": city}]},
                                      {("organisations", SHARED_ORGANISATION): version})
                        break
                    except EditConflict:
                        result.conflicts += 1
                        # A little later, as a person would: retrying at once just queues behind the same writers again.
                        await asyncio.sleep(random.uniform(0, 0.002 * min(attempt, 20)))
                result.shared_cities.append(city)
            result.timings.append((KINDS[kind], time.perf_counter() - started))
        except Exception as problem:  # every failure is counted: the test expects none
            result.errors.append(f"{KINDS[kind]} by writer {index} after {time.perf_counter() - started:.1f} s: {type(problem).__name__}: {problem}")
    return result


async def run_writers(database_url: str, writers: int, writes: int, first: int = 0) -> tuple[list[WriterResult], float]:
    """Writers first..first+writers-1, each on an engine of its own (one connection on PostgreSQL); results and seconds."""
    engines = [db.build_engine(Settings(database_url=database_url, audit_key_file=AUDIT_KEY_FILE)) for _ in range(writers)]
    for engine in engines:
        await db.start(engine, pool_size=1)
    try:
        started = time.perf_counter()
        results = await asyncio.gather(*(one_writer(engine, index, writes) for index, engine in enumerate(engines, start=first)))
        return list(results), time.perf_counter() - started
    finally:
        for engine in engines:
            await db.stop(engine)


async def counts(engine: Any) -> dict[str, int]:
    """Decisions and audit events stored now."""
    async with reading(engine) as reader:
        row = await reader.fetch_one("SELECT (SELECT COUNT(*) FROM decision) AS decisions, (SELECT COUNT(*) FROM audit_event) AS events")
    return {"decisions": int(row["decisions"]), "events": int(row["events"])}


async def problems(engine: Any, results: list[WriterResult], before: dict[str, int]) -> list[str]:
    """Every way the stored state disagrees with what the writers were told; empty when nothing was lost."""
    found = [error for result in results for error in result.errors]
    after = await counts(engine)
    decisions = sum(len(result.decisions) for result in results)
    writes = sum(result.acknowledged for result in results)
    if after["decisions"] != before["decisions"] + decisions:
        found.append(f"decisions: {after['decisions']} stored, {before['decisions']} + {decisions} acknowledged")
    # Each write is one import: its decision or record change, plus the import's own audit event.
    if after["events"] != before["events"] + 2 * writes:
        found.append(f"audit events: {after['events']} stored, {before['events']} + 2 x {writes} expected")
    async with reading(engine) as reader:
        stored = {row["reference"] for row in await reader.fetch_all("SELECT reference FROM decision")}
        missing = {reference for result in results for reference in result.decisions} - stored
        found.extend(f"acknowledged decision {reference} is missing" for reference in sorted(missing))
        for index, result in enumerate(results):
            coach = await reader.fetch_one("SELECT version, city FROM coach WHERE registration_number = ?", own_coach(index))
            if coach["version"] != 1 + len(result.own_cities) or (result.own_cities and coach["city"] != result.own_cities[-1]):
                found.append(f"{own_coach(index)}: version {coach['version']} city {coach['city']}, acknowledged {result.own_cities}")
        organisation = await reader.fetch_one("SELECT version, city FROM organisation WHERE code = ?", SHARED_ORGANISATION)
        events = await reader.fetch_all(
            "SELECT before_state, after_state FROM audit_event WHERE action = 'registry:organisation:update' AND subject_code = ? ORDER BY id",
            SHARED_ORGANISATION,
        )
        count, broken = await verify_chain(reader)
    shared = [city for result in results for city in result.shared_cities]
    if organisation["version"] != 1 + len(shared):
        found.append(f"{SHARED_ORGANISATION}: version {organisation['version']}, {len(shared)} updates acknowledged")
    # No lost update: each change was made on top of the one before it, and all acknowledged ones are there.
    previous = SEED_CITY
    for event in events:
        before_city, after_city = _city(event["before_state"]), _city(event["after_state"])
        if before_city != previous:
            found.append(f"{SHARED_ORGANISATION}: an update based on {before_city!r} followed {previous!r}: a lost update")
        previous = after_city
    if sorted(_city(event["after_state"]) for event in events) != sorted(shared) or organisation["city"] != previous:
        found.append(f"{SHARED_ORGANISATION}: audited updates differ from the acknowledged ones")
    if broken:
        found.append(f"audit chain broken at {broken[:10]} of {count} events")
    return found


def _city(state: Any) -> str | None:
    return (json.loads(state) if isinstance(state, str) else state).get("city")
