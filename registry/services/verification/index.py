"""The live in-memory index of what verifications need (a `Snapshot`), kept current with the database.

The database stays the source of truth. The index is built from it at start, follows it through
the audit trail (every write leaves an audit event in its own transaction), and reports the data
version (last decision id) and the register version (last audit event of a register write) of the
snapshot it was built from.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import logging
import sqlite3
import time
from typing import Any

import asyncpg
from piccolo.engine.base import Engine

from registry.db import is_sqlite, postgres_dsn, sqlite_path
from registry.outages import RetryLog, database_unavailable
from registry.services.sql import reading
from registry.services.staff.clients import ClientRecord, load_clients
from registry.services.verification import queries
from registry.services.verification.snapshot import Snapshot, build_snapshot, load_subjects

log = logging.getLogger(__name__)

WATCH_INTERVAL_SECONDS = 0.01
CHANNEL = "registry_changes"
# Past this many audit events to follow, one full rebuild is cheaper than reloading subjects.
FULL_REBUILD_AFTER = 5_000


def _search_changed(old: dict[str, Any], changed: dict[str, Any]) -> bool:
    """True when a changed entry is new or is found or ordered differently by public search."""
    for key, entry in changed.items():
        before = old.get(key)
        if before is None or before.search_fields() != entry.search_fields():
            return True
    return False


def _programmes_of(old: Snapshot, part: Snapshot) -> dict[int, tuple[str, ...]]:
    """Organisation id -> programme codes after `part`'s programmes replace old ones: only their organisations' lists change."""
    if not part.programmes:
        return old.programmes_of
    lists: dict[int, set[str]] = {}
    for code, entry in part.programmes.items():
        before = old.programmes.get(code)
        for organisation in (before.organisation_id if before else None, entry.organisation_id):
            if organisation is not None:
                lists.setdefault(organisation, set(old.programmes_of.get(organisation, ())))
        if before is not None and before.organisation_id is not None:
            lists[before.organisation_id].discard(code)
        if entry.organisation_id is not None:
            lists[entry.organisation_id].add(code)
    return {**old.programmes_of, **{organisation: tuple(sorted(codes)) for organisation, codes in lists.items()}}


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
        self._listening_lost = False  # the LISTEN connection dropped and is not back yet
        self._retries = RetryLog(log, "verification index catch-up")

    async def start(self) -> None:
        """Build the first snapshot and start following changes."""
        async with reading(self.engine) as reader:
            self.snapshot = await build_snapshot(reader)
        gc.freeze()  # see search_index: the snapshot's objects live as long as the process
        if is_sqlite(self.engine):
            # PRAGMA data_version on a connection of our own says in microseconds whether anyone
            # (another instance, the CLI) has committed since we last looked.
            self._watch = sqlite3.connect(sqlite_path(self.engine), check_same_thread=False, isolation_level=None)
        else:
            self._listens = True
            await self._listen()
        self._poller = asyncio.create_task(self._poll())
        log.info("verification index built: data version %s", self.snapshot.data_version)

    async def _listen(self) -> None:
        """PostgreSQL: a connection of our own LISTENs for registry_changes (migration 0006)."""
        again = self._listener is not None
        if self._listener is not None:
            self._listener.terminate()
            self._listener = None
        connection = None
        try:
            connection = await asyncpg.connect(postgres_dsn(self.engine), timeout=5)
            await connection.add_listener(CHANNEL, self._notified)
        except Exception as error:  # polling still keeps the index current, only a little later
            if connection is not None:
                connection.terminate()
            if not database_unavailable(error):
                log.exception("could not LISTEN for changes; following them by polling only")
            self._listening_lost = self._listening_lost or again
            return
        self._listener = connection
        if again or self._listening_lost:
            log.warning("listening for changes again (LISTEN %s on a new connection)", CHANNEL)
            self._listening_lost = False

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
        watch = self._watch
        if watch is not None:
            now = time.monotonic()
            # Stored answers change data_version too; looking every few milliseconds is enough to
            # see another process's change at once without a query per request under load.
            if now - self._watched_at >= WATCH_INTERVAL_SECONDS:
                self._watched_at = now
                if self._sqlite_changed(watch):
                    await self.catch_up()
        return self.snapshot

    def _sqlite_changed(self, watch: sqlite3.Connection) -> bool:
        version = watch.execute("PRAGMA data_version").fetchone()[0]
        if version == self._watched_version:
            return False
        self._watched_version = version
        last = watch.execute(queries.LAST_AUDIT_EVENT_ID).fetchone()[0]
        return last != self.snapshot.audit_seen  # fewer: a restore went back in time

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
                # From the last event seen on: it must still be there with the same chain hash, else the
                # database was restored from a backup (gone back in time) and the index starts afresh.
                rows = await reader.fetch_all(queries.AUDIT_EVENTS_FROM, seen, self.full_rebuild_after + 2)
                if seen and (not rows or rows[0]["id"] != seen or rows[0]["hash"] != self.snapshot.audit_hash):
                    log.warning("the audit trail no longer holds event %s as this instance saw it (database restored?): "
                                "rebuilding the index from the database", seen)
                    self._start_rebuild(rewound=True)
                    return
                events = rows[1:] if seen else rows
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
                    rows = await reader.fetch_in(queries.PROGRAMMES_OF_ORGANISATIONS_IN, sorted(changed["organisation"]))
                    programmes |= {row["code"] for row in rows}
                coaches = set(changed["coach"])
                if changed["training"]:
                    rows = await reader.fetch_in(queries.COACHES_QUALIFIED_IN_TRAININGS_IN, sorted(changed["training"]))
                    coaches |= {row["registration_number"] for row in rows}
                part = await load_subjects(reader, programmes, coaches, changed["training"], organisation_codes=changed["organisation"])
                clients = await load_clients(reader) if changed["api_client"] else None
            self._merge(part, clients, changed["organisation"])

    def _merge(self, part: Snapshot, clients: dict[str, ClientRecord] | None, organisation_codes: set[str] | frozenset[str] = frozenset()) -> None:
        # A new Snapshot object, so a request already holding the old one sees a consistent view.
        old = self.snapshot
        merged = Snapshot(
            programmes={**old.programmes, **part.programmes},
            coaches={**old.coaches, **part.coaches},
            coach_by_agb=old.coach_by_agb,
            trainings={**old.trainings, **part.trainings},
            clients=clients if clients is not None else old.clients,
            organisations=old.organisations,
            provider_by_agb=old.provider_by_agb,
            programmes_of=_programmes_of(old, part),
            data_version=part.data_version,
            register_version=part.register_version,
            audit_seen=part.audit_seen,
            audit_hash=part.audit_hash,
            care_standard=part.care_standard,
        )
        if not _search_changed(old.programmes, part.programmes) and not _search_changed(old.coaches, part.coaches):
            merged.search_key = old.search_key
        if any(coach.agb_code != getattr(old.coaches.get(number), "agb_code", None) for number, coach in part.coaches.items()):
            merged.coach_by_agb = {coach.agb_code: number for number, coach in merged.coaches.items() if coach.agb_code}
        if organisation_codes:
            merged.organisations, merged.provider_by_agb = dict(old.organisations), dict(old.provider_by_agb)
            for code in organisation_codes:
                gone = merged.organisations.pop(code, None)
                for agb in gone.agb_codes if gone else ():
                    if merged.provider_by_agb.get(agb) is gone:
                        del merged.provider_by_agb[agb]
            for entry in part.organisations.values():
                merged.organisations[entry.code] = entry
                merged.provider_by_agb.update(dict.fromkeys(entry.agb_codes, entry))
        self.snapshot = merged

    def _start_rebuild(self, rewound: bool = False) -> None:
        if self._rebuild is None or self._rebuild.done():
            # A fresh context: a task copies the caller's, and with it Piccolo's current transaction
            # (catch_up calls this inside one), which the rebuild must not share.
            self._rebuild = asyncio.create_task(self._rebuild_all(rewound), context=contextvars.Context())

    async def _rebuild_all(self, rewound: bool = False) -> None:
        async with reading(self.engine) as reader:
            snapshot = await build_snapshot(reader)
        if rewound or snapshot.audit_seen >= self.snapshot.audit_seen:
            self.snapshot = snapshot
            gc.freeze()
        log.info("verification index rebuilt: data version %s", snapshot.data_version)
