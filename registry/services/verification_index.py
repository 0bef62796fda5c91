"""In-memory index of what verifications need: subjects, decisions, qualifications and API clients.

The database stays the source of truth. The index is built from it at start, follows it through
the audit trail (every write leaves an audit event in its own transaction), and reports the data
version (last decision id) of the snapshot it was built from.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import json
import logging
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from piccolo.engine.base import Engine

from registry import rules
from registry.db import is_sqlite
from registry.outages import RetryLog, database_unavailable
from registry.search_text import fold
from registry.services.clients import ClientRecord, load_clients
from registry.services.sql import Writer, reading

log = logging.getLogger(__name__)

WATCH_INTERVAL_SECONDS = 0.01
CHANNEL = "registry_changes"
# Past this many audit events to follow, one full rebuild is cheaper than reloading subjects.
FULL_REBUILD_AFTER = 5_000


@dataclass(frozen=True, slots=True)
class ProgrammeEntry:
    """A programme as a verification answer shows it, with its decisions."""

    id: int
    code: str
    name: str
    guidance_type: str
    format: str
    organisation_id: int | None
    provider: dict[str, Any] | None
    decisions: tuple[rules.Decision, ...]
    # For public search (registry.services.search_index).
    modes: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    search_text: str = ""
    places: str = ""

    def facts(self) -> rules.ProgrammeFacts:
        """What the rules need."""
        return rules.ProgrammeFacts(self.guidance_type, self.format, self.decisions)


@dataclass(frozen=True, slots=True)
class CoachEntry:
    """A coach with decisions and qualifications (completed_on, recorded_at, training id)."""

    id: int
    registration_number: str
    name: str
    agb_code: str | None
    decisions: tuple[rules.Decision, ...]
    qualifications: tuple[tuple[Any, Any, int], ...]
    # For public search (registry.services.search_index).
    city: str | None = None
    search_text: str = ""
    places: str = ""
    sort_key: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TrainingEntry:
    """A training as the qualification rule sees it."""

    id: int
    code: str
    facts: rules.TrainingFacts


@dataclass
class Snapshot:
    """One consistent view of the registry for answering claims."""

    programmes: dict[str, ProgrammeEntry] = field(default_factory=dict)
    coaches: dict[str, CoachEntry] = field(default_factory=dict)
    coach_by_agb: dict[str, str] = field(default_factory=dict)
    trainings: dict[int, TrainingEntry] = field(default_factory=dict)
    clients: dict[str, ClientRecord] = field(default_factory=dict)
    data_version: int = 0
    audit_seen: int = 0
    _coach_facts: dict[int, rules.CoachFacts] = field(default_factory=dict, repr=False)

    def find_coach(self, registration_number: str | None, agb_code: str | None) -> CoachEntry | None:
        """A coach by registration number or by AGB code."""
        if registration_number is None and agb_code is not None:
            registration_number = self.coach_by_agb.get(agb_code)
        return self.coaches.get(registration_number) if registration_number else None

    def coach_facts(self, coach: CoachEntry) -> rules.CoachFacts:
        """What the rules need of a coach, with each qualification's training (remembered per snapshot)."""
        facts = self._coach_facts.get(coach.id)
        if facts is not None and facts.decisions is coach.decisions:
            return facts
        qualifications = tuple(
            rules.QualificationFacts(completed_on, recorded_at, self.trainings[training_id].facts)
            for completed_on, recorded_at, training_id in coach.qualifications
            if training_id in self.trainings
        )
        facts = rules.CoachFacts(coach.decisions, qualifications)
        self._coach_facts[coach.id] = facts
        return facts


# --- loading from the database ------------------------------------------------------------------

DECISION_COLUMNS = "id, subject_kind, subject_id, kind, starts_on, ends_on, target_id, reference, recorded_at"
PROGRAMME_SELECT = (
    "SELECT p.id, p.code, p.name, p.guidance_type, p.format, p.organisation, o.code AS provider_code, "
    "o.name AS provider_name, o.agb_code AS provider_agb_code, p.modes, p.cities, p.search_text, p.places "
    "FROM programme p LEFT JOIN organisation o ON o.id = p.organisation"
)
COACH_SELECT = "SELECT id, registration_number, initials, prefix, surname, agb_code, city, search_text, places FROM coach"
TRAINING_SELECT = "SELECT id, code, guidance_types, formats FROM training"
QUALIFICATION_SELECT = "SELECT coach, training, completed_on, recorded_at FROM qualification"


def to_decision(row: dict[str, Any]) -> rules.Decision:
    """A stored decision row as the rules see it."""
    return rules.Decision(
        id=row["id"],
        kind=rules.DecisionKind(row["kind"]),
        recorded_at=row["recorded_at"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        target=row["target_id"],
        reference=row["reference"],
    )


def coach_display_name(coach: dict[str, Any]) -> str:
    """Initials, prefix and surname, as in "J. de Vries"."""
    return " ".join(part for part in (coach["initials"], coach.get("prefix"), coach["surname"]) if part)


def _json_tuple(value: Any) -> tuple[str, ...]:
    return tuple(json.loads(value) if isinstance(value, str) else value or ())


def _json_list(value: Any) -> frozenset[str]:
    return frozenset(json.loads(value) if isinstance(value, str) else value or ())


def _programme(row: dict[str, Any], decisions: tuple[rules.Decision, ...]) -> ProgrammeEntry:
    provider = None
    if row["provider_code"] is not None:
        provider = {"code": row["provider_code"], "name": row["provider_name"], "agb_code": row["provider_agb_code"]}
    return ProgrammeEntry(
        row["id"], row["code"], row["name"], row["guidance_type"], row["format"], row["organisation"], provider, decisions,
        _json_tuple(row["modes"]), _json_tuple(row["cities"]),
        row["search_text"] or "", row["places"] or "",
    )


def _coach(row: dict[str, Any], decisions: tuple[rules.Decision, ...], qualifications: list[tuple[Any, Any, int]]) -> CoachEntry:
    sort_key = (fold(row["surname"]), fold(row["initials"]), fold(row["prefix"]), row["registration_number"])
    return CoachEntry(
        row["id"], row["registration_number"], coach_display_name(row), row["agb_code"], decisions, tuple(qualifications),
        row["city"], row["search_text"] or "", row["places"] or "", sort_key,
    )


def _training(row: dict[str, Any], decisions: tuple[rules.Decision, ...]) -> TrainingEntry:
    facts = rules.TrainingFacts(_json_list(row["guidance_types"]), _json_list(row["formats"]), decisions)
    return TrainingEntry(row["id"], row["code"], facts)


async def _decisions_of(reader: Writer, subject_kind: str, ids: list[int]) -> dict[int, list[rules.Decision]]:
    rows = await reader.fetch_in(
        f"SELECT {DECISION_COLUMNS} FROM decision WHERE subject_kind = '{subject_kind}' AND subject_id IN", ids
    )
    grouped: dict[int, list[rules.Decision]] = {}
    for row in sorted(rows, key=lambda row: row["id"]):
        grouped.setdefault(row["subject_id"], []).append(to_decision(row))
    return grouped


async def _versions(reader: Writer) -> tuple[int, int]:
    row = await reader.fetch_one(
        "SELECT (SELECT COALESCE(MAX(id), 0) FROM decision) AS data_version, "
        "(SELECT COALESCE(MAX(id), 0) FROM audit_event) AS audit_seen"
    )
    return int(row["data_version"]), int(row["audit_seen"])


async def build_snapshot(reader: Writer) -> Snapshot:
    """Everything, read in one transaction."""
    snapshot = Snapshot()
    snapshot.data_version, snapshot.audit_seen = await _versions(reader)
    decisions: dict[tuple[str, int], list[rules.Decision]] = {}
    for row in await reader.fetch_all(f"SELECT {DECISION_COLUMNS} FROM decision ORDER BY id"):
        decisions.setdefault((row["subject_kind"], row["subject_id"]), []).append(to_decision(row))
    for row in await reader.fetch_all(TRAINING_SELECT):
        snapshot.trainings[row["id"]] = _training(row, tuple(decisions.get(("training", row["id"]), ())))
    for row in await reader.fetch_all(PROGRAMME_SELECT):
        snapshot.programmes[row["code"]] = _programme(row, tuple(decisions.get(("programme", row["id"]), ())))
    qualifications: dict[int, list[tuple[Any, Any, int]]] = {}
    for row in await reader.fetch_all(QUALIFICATION_SELECT):
        qualifications.setdefault(row["coach"], []).append((row["completed_on"], row["recorded_at"], row["training"]))
    for row in await reader.fetch_all(COACH_SELECT):
        coach = _coach(row, tuple(decisions.get(("coach", row["id"]), ())), qualifications.get(row["id"], []))
        snapshot.coaches[coach.registration_number] = coach
        if coach.agb_code:
            snapshot.coach_by_agb[coach.agb_code] = coach.registration_number
    snapshot.clients = await load_clients(reader)
    return snapshot


async def load_subjects(
    reader: Writer, programme_codes: set[str], coach_numbers: set[str], training_codes: set[str], agb_codes: set[str] = frozenset()
) -> Snapshot:
    """Only the named subjects (and the trainings their qualifications need), in one transaction."""
    part = Snapshot()
    part.data_version, part.audit_seen = await _versions(reader)
    programmes = await reader.fetch_in(f"{PROGRAMME_SELECT} WHERE p.code IN", sorted(programme_codes))
    coaches = await reader.fetch_in(f"{COACH_SELECT} WHERE registration_number IN", sorted(coach_numbers))
    coaches += await reader.fetch_in(f"{COACH_SELECT} WHERE agb_code IN", sorted(agb_codes))
    coach_ids = sorted({row["id"] for row in coaches})
    qualifications: dict[int, list[tuple[Any, Any, int]]] = {}
    for row in await reader.fetch_in(f"{QUALIFICATION_SELECT} WHERE coach IN", coach_ids):
        qualifications.setdefault(row["coach"], []).append((row["completed_on"], row["recorded_at"], row["training"]))
    training_ids = {training for entries in qualifications.values() for _, _, training in entries}
    trainings = await reader.fetch_in(f"{TRAINING_SELECT} WHERE id IN", sorted(training_ids))
    trainings += await reader.fetch_in(f"{TRAINING_SELECT} WHERE code IN", sorted(training_codes))
    programme_decisions = await _decisions_of(reader, "programme", [row["id"] for row in programmes])
    coach_decisions = await _decisions_of(reader, "coach", coach_ids)
    training_decisions = await _decisions_of(reader, "training", sorted({row["id"] for row in trainings}))
    for row in trainings:
        part.trainings[row["id"]] = _training(row, tuple(training_decisions.get(row["id"], ())))
    for row in programmes:
        part.programmes[row["code"]] = _programme(row, tuple(programme_decisions.get(row["id"], ())))
    for row in coaches:
        coach = _coach(row, tuple(coach_decisions.get(row["id"], ())), qualifications.get(row["id"], []))
        part.coaches[coach.registration_number] = coach
        if coach.agb_code:
            part.coach_by_agb[coach.agb_code] = coach.registration_number
    return part


# --- the live index ---------------------------------------------------------------------------------


class VerificationIndex:
    """The current snapshot, kept up to date with the database."""

    def __init__(self, engine: Engine, poll_seconds: float = 0.25, full_rebuild_after: int = FULL_REBUILD_AFTER):
        self.engine = engine
        self.poll_seconds = poll_seconds
        self.full_rebuild_after = full_rebuild_after
        self.snapshot = Snapshot()
        self._lock = asyncio.Lock()
        self._poller: asyncio.Task[None] | None = None
        self._rebuild: asyncio.Task[None] | None = None
        self._watch: sqlite3.Connection | None = None
        self._watched_version: int | None = None
        self._watched_at = 0.0
        self._stopping = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._pending_catch_up: asyncio.Future[None] | None = None
        self._notified_again = False
        self._listens = False
        self._retries = RetryLog(log, "verification index catch-up")

    async def start(self) -> None:
        """Build the first snapshot and start following changes."""
        async with reading(self.engine) as reader:
            self.snapshot = await build_snapshot(reader)
        gc.freeze()  # see search_index: the snapshot's objects live as long as the process
        if is_sqlite(self.engine):
            # PRAGMA data_version on a connection of our own says in microseconds whether anyone
            # (another instance, the CLI) has committed since we last looked.
            self._watch = sqlite3.connect(self.engine.path, check_same_thread=False, isolation_level=None)
        else:
            self._listens = True
            await self._listen()
        self._poller = asyncio.create_task(self._poll())
        log.info("verification index built: data version %s", self.snapshot.data_version)

    async def _listen(self) -> None:
        """PostgreSQL: a connection of our own LISTENs for registry_changes (migration 0006)."""
        if self._listener is not None:
            self._listener.terminate()
        try:
            self._listener = await asyncpg.connect(self.engine.config["dsn"], timeout=5)
            await self._listener.add_listener(CHANNEL, self._notified)
        except Exception as error:  # polling still keeps the index current, only a little later
            if not database_unavailable(error):
                log.exception("could not LISTEN for changes; following them by polling only")
            self._listener = None
            return

    def _notified(self, *_: object) -> None:
        # A notification during a catch-up may concern a commit that catch-up's snapshot missed:
        # remember it, and catch up once more afterwards.
        self._notified_again = True
        if not self._stopping.is_set() and (self._pending_catch_up is None or self._pending_catch_up.done()):
            self._pending_catch_up = asyncio.ensure_future(self._catch_up_quietly())

    async def _catch_up_quietly(self) -> None:
        while self._notified_again and not self._stopping.is_set():
            self._notified_again = False
            try:
                await self.catch_up()
            except Exception:  # the poll will try again
                log.exception("verification index could not catch up after a notification")

    async def stop(self) -> None:
        """Stop following changes and close the watch connection."""
        # Let a catch-up in flight finish rather than cancel it inside a database call, which
        # could leave a pooled connection checked out and the pool unable to close.
        self._stopping.set()
        for task in (self._poller, self._rebuild):
            if task is not None:
                try:
                    await asyncio.wait_for(task, timeout=10)
                except (asyncio.TimeoutError, asyncio.CancelledError):
                    pass
        if self._pending_catch_up is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._pending_catch_up, timeout=10)
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._listener.close(), timeout=5)
            self._listener = None
        if self._watch is not None:
            self._watch.close()
            self._watch = None

    async def current(self) -> Snapshot:
        """The snapshot to answer from, caught up first when the database has moved on."""
        if self._watch is not None:
            now = time.monotonic()
            # Stored answers change data_version too; looking every few milliseconds is enough to
            # see another process's change at once without a query per request under load.
            if now - self._watched_at >= WATCH_INTERVAL_SECONDS:
                self._watched_at = now
                if self._sqlite_changed():
                    await self.catch_up()
        return self.snapshot

    def _sqlite_changed(self) -> bool:
        version = self._watch.execute("PRAGMA data_version").fetchone()[0]
        if version == self._watched_version:
            return False
        self._watched_version = version
        last = self._watch.execute("SELECT COALESCE(MAX(id), 0) FROM audit_event").fetchone()[0]
        return last > self.snapshot.audit_seen

    async def _poll(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.poll_seconds)
                return
            if self._listens and (self._listener is None or self._listener.is_closed()):
                await self._listen()  # the database restarted: LISTEN again (what was missed meanwhile, the poll picks up)
            try:
                await self.catch_up()
            except Exception as error:  # a database hiccup must not stop the index from following later changes
                self._retries.failed(error)
            else:
                self._retries.succeeded()

    async def catch_up(self) -> None:
        """Follow the audit trail past the snapshot: reload what changed, or rebuild after a big import."""
        async with self._lock:
            seen = self.snapshot.audit_seen
            async with reading(self.engine) as reader:
                events = await reader.fetch_all(
                    "SELECT id, subject_kind, subject_code FROM audit_event WHERE id > ? ORDER BY id LIMIT ?",
                    seen,
                    self.full_rebuild_after + 1,
                )
                if not events:
                    return
                if len(events) > self.full_rebuild_after:
                    self._start_rebuild()
                    return
                changed = {kind: set() for kind in ("programme", "coach", "training", "organisation", "api_client")}
                for event in events:
                    if event["subject_kind"] in changed and event["subject_code"]:
                        changed[event["subject_kind"]].add(event["subject_code"])
                programmes = set(changed["programme"])
                if changed["organisation"]:
                    rows = await reader.fetch_in(
                        "SELECT p.code FROM programme p JOIN organisation o ON o.id = p.organisation WHERE o.code IN",
                        sorted(changed["organisation"]),
                    )
                    programmes |= {row["code"] for row in rows}
                coaches = set(changed["coach"])
                if changed["training"]:
                    rows = await reader.fetch_in(
                        "SELECT c.registration_number FROM qualification q JOIN coach c ON c.id = q.coach "
                        "JOIN training t ON t.id = q.training WHERE t.code IN",
                        sorted(changed["training"]),
                    )
                    coaches |= {row["registration_number"] for row in rows}
                part = await load_subjects(reader, programmes, coaches, changed["training"])
                clients = await load_clients(reader) if changed["api_client"] else None
            self._merge(part, clients)

    def _merge(self, part: Snapshot, clients: dict[str, ClientRecord] | None) -> None:
        # A new Snapshot object, so a request already holding the old one sees a consistent view.
        old = self.snapshot
        merged = Snapshot(
            programmes={**old.programmes, **part.programmes},
            coaches={**old.coaches, **part.coaches},
            coach_by_agb=old.coach_by_agb,
            trainings={**old.trainings, **part.trainings},
            clients=clients if clients is not None else old.clients,
            data_version=part.data_version,
            audit_seen=part.audit_seen,
        )
        if any(coach.agb_code != getattr(old.coaches.get(number), "agb_code", None) for number, coach in part.coaches.items()):
            merged.coach_by_agb = {coach.agb_code: number for number, coach in merged.coaches.items() if coach.agb_code}
        self.snapshot = merged

    def _start_rebuild(self) -> None:
        if self._rebuild is None or self._rebuild.done():
            # A fresh context: a task copies the caller's, and with it Piccolo's current transaction
            # (catch_up calls this inside one), which the rebuild must not share.
            self._rebuild = asyncio.create_task(self._rebuild_all(), context=contextvars.Context())

    async def _rebuild_all(self) -> None:
        async with reading(self.engine) as reader:
            snapshot = await build_snapshot(reader)
        if snapshot.audit_seen >= self.snapshot.audit_seen:
            self.snapshot = snapshot
            gc.freeze()
        log.info("verification index rebuilt: data version %s", snapshot.data_version)
