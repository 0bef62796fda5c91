"""Per-client rate limits in fixed one-minute windows, counted in the database across instances.

Each instance counts locally and adds its counts to the shared rows every few hundred
milliseconds, reading back what all instances used, for the buckets that counted something since
(an idle bucket costs no database work, however many there are). A request is judged against the last shared
total plus what this instance has not yet shared, so limits hold across instances to within one
sync interval, without a database write per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass

from piccolo.engine.base import Engine

from registry.outages import RetryLog
from registry.services import queries
from registry.services.sql import Writer, reading, writing

log = logging.getLogger(__name__)
WINDOW_SECONDS = 60
# Counter rows older than this are deleted; they serve no limit any more.
KEEP_WINDOWS = 60


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a request may go ahead, and when to come back if not."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: int


@dataclass
class _Bucket:
    shared: int = 0
    unsynced: int = 0
    # The limit the bucket was last judged against.
    limit: int = 0


class RateLimiter:
    """Counts per bucket (e.g. a client id) per window; shares counts through the database."""

    def __init__(self, engine: Engine, sync_seconds: float = 0.25, clock=time.time):
        self.engine = engine
        self.sync_seconds = sync_seconds
        self.clock = clock
        self._buckets: dict[tuple[str, int], _Bucket] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        # The background loop and an explicit sync() must not both send the same unsynced counts.
        self._sync_lock = asyncio.Lock()
        self._retries = RetryLog(log, "rate limit sharing")
        # The window whose old counter rows were last cleared away.
        self._forgotten_for: int | None = None

    def window(self) -> int:
        """Start of the current window, in epoch seconds."""
        return int(self.clock()) // WINDOW_SECONDS * WINDOW_SECONDS

    def take(self, bucket: str, cost: int, limit: int) -> Decision:
        """Spend `cost` from the bucket's allowance if it fits."""
        start = self.window()
        counts = self._buckets.setdefault((bucket, start), _Bucket())
        counts.limit = limit
        used = counts.shared + counts.unsynced
        retry_after = max(1, math.ceil(start + WINDOW_SECONDS - self.clock()))
        if used + cost > limit:
            return Decision(False, limit, max(0, limit - used), retry_after)
        counts.unsynced += cost
        return Decision(True, limit, limit - used - cost, retry_after)

    async def start(self) -> None:
        """Start sharing counts in the background."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Share what is left and stop (without cancelling a sync inside a database call)."""
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=10)
        with contextlib.suppress(Exception):
            await self.sync()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.sync_seconds)
                return
            try:
                await self.sync()
            except Exception as error:  # keep counting locally; the next sync carries the counts over
                self._retries.failed(error)
            else:
                self._retries.succeeded()

    async def sync(self) -> None:
        """Add local counts to the shared rows and read back every instance's total (one sync at a time)."""
        async with self._sync_lock:
            await self._sync()

    async def _sync(self) -> None:
        current = self.window()
        self._buckets = {key: counts for key, counts in self._buckets.items() if key[1] >= current - WINDOW_SECONDS}
        # Only buckets that counted something since the last sync are written: an idle bucket costs no write.
        pending = {key: counts.unsynced for key, counts in self._buckets.items() if counts.unsynced}
        # An idle bucket past half its limit is read back (not written), so what other instances spend of it
        # still counts here within one sync; below that, its next request makes it pending and reads it back.
        watched = [key for key, counts in self._buckets.items()
                   if not counts.unsynced and key[1] == current and counts.limit and counts.shared * 2 >= counts.limit]
        forget = current != self._forgotten_for
        if not pending and not watched and not forget:
            return
        if pending or forget:
            async with writing(self.engine, serialise=False) as writer:
                await writer.execute_many(queries.ADD_TO_COUNTER, [(bucket, start, added) for (bucket, start), added in pending.items()])
                totals = await _read_back(writer, [*pending, *watched])
                if forget:
                    # Old windows go once per window, not at every sync.
                    await writer.execute(queries.FORGET_COUNTERS_BEFORE, current - KEEP_WINDOWS * WINDOW_SECONDS)
        else:
            async with reading(self.engine) as reader:
                totals = await _read_back(reader, watched)
        self._forgotten_for = current
        for key, total in totals.items():
            counts = self._buckets.get(key)
            if counts is not None:
                # Requests counted while we were writing stay unsynced for the next round.
                counts.unsynced -= pending.get(key, 0)
                counts.shared = total

    def peek(self, bucket: str, limit: int) -> Decision:
        """The bucket's standing in this window, spending nothing."""
        start = self.window()
        counts = self._buckets.get((bucket, start))
        used = counts.shared + counts.unsynced if counts else 0
        retry_after = max(1, math.ceil(start + WINDOW_SECONDS - self.clock()))
        return Decision(used < limit, limit, max(0, limit - used), retry_after)


async def _read_back(reader: Writer, keys: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """What every instance has used of these buckets, a window at a time."""
    by_window: dict[int, list[str]] = {}
    for bucket, start in keys:
        by_window.setdefault(start, []).append(bucket)
    totals = {}
    for start, buckets in by_window.items():
        for row in await reader.fetch_in(queries.COUNTERS_IN_WINDOW, buckets, start):
            totals[(row["bucket"], start)] = int(row["used"])
    return totals
