"""Idempotency keys: a client's retry of the same request within 24 hours gets the first answer again.

A request with a key first claims it in `idempotency_key` (one row per client and key, so two
instances cannot both claim it); the answer is written into that row in the same transaction as
the verifications it reports (`VerificationStore.store(..., completion=...)`), so a key is never
answered without its verifications stored, nor verifications stored under a key without its answer.
A duplicate that arrives while the first is still being answered waits for it (on this instance
for its future, across instances by looking again) and then gets the same answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from piccolo.engine.base import Engine

from registry.outages import RetryLog
from registry.services.sql import writing
from registry.services.verification.queries import (
    FORGET_KEYS_BEFORE,
    KEY_OF_CLIENT,
    RELEASE_KEY,
    RESERVE_KEY,
    TAKE_OVER_KEY,
)

log = logging.getLogger(__name__)
KEEP_SECONDS = 24 * 3600
# A first request still unanswered after this long died with its instance: a retry may take the key over.
ABANDONED_SECONDS = 120
# How long a duplicate waits for the first request's answer before it is told to come back (409).
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05
CLEAN_UP_SECONDS = 600
MAX_KEY_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Claimed:
    """This request holds the key: it answers, and its answer is kept under the key."""

    client: int
    key: str
    claim: str

    def completion(self, status: int, content_type: str, body: bytes) -> tuple[Any, ...]:
        """The parameters that write the answer into the key's row (`COMPLETE_KEY`)."""
        return (status, content_type, body.decode("utf-8"), self.client, self.key, self.claim)


@dataclass(frozen=True, slots=True)
class Replay:
    """The answer given to the first request with this key."""

    status: int
    content_type: str
    body: bytes


class Mismatch:
    """The key was used with another request."""


class Busy:
    """The first request with this key is still being answered after waiting for it."""


MISMATCH, BUSY = Mismatch(), Busy()
Outcome = Claimed | Replay | Mismatch | Busy


class IdempotencyKeys:
    """Claims keys, hands out stored answers, forgets keys after 24 hours."""

    def __init__(self, engine: Engine, clock=time.time, wait_seconds: float = WAIT_SECONDS):
        self.engine = engine
        self.clock = clock
        self.wait_seconds = wait_seconds
        self._answering: dict[tuple[int, str], asyncio.Future[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._retries = RetryLog(log, "forgetting expired idempotency keys")

    async def claim(self, client: int, key: str, request_hash: str) -> Outcome:
        """Claim `key` for this request, or the first answer, or why neither."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_seconds
        while True:
            answering = self._answering.get((client, key))
            if answering is not None:  # a request on this instance holds it: wait for its answer
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(answering), max(0.0, deadline - loop.time()))
                if not answering.done():
                    return BUSY
                continue
            mine: asyncio.Future[None] = loop.create_future()
            self._answering[(client, key)] = mine
            try:
                outcome = await self._claim_row(client, key, request_hash)
            except BaseException:
                self._settle(client, key, mine)
                raise
            if isinstance(outcome, Claimed):
                return outcome
            self._settle(client, key, mine)
            if outcome is not None:
                return outcome
            if loop.time() >= deadline:  # another instance is still answering it
                return BUSY
            await asyncio.sleep(POLL_SECONDS)

    async def _claim_row(self, client: int, key: str, request_hash: str) -> Outcome | None:
        now = int(self.clock() * 1000)
        claim = secrets.token_hex(16)
        async with writing(self.engine, serialise=False) as writer:
            await writer.execute(RESERVE_KEY, client, key, request_hash, claim, now)
            row = await writer.fetch_row(KEY_OF_CLIENT, client, key)
            if row["claim"] != claim and self._stale(row, now):
                await writer.execute(TAKE_OVER_KEY, request_hash, claim, now, client, key, row["claim"])
                row = await writer.fetch_row(KEY_OF_CLIENT, client, key)
        if row["claim"] == claim:
            return Claimed(client, key, claim)
        if row["request_hash"] != request_hash:
            return MISMATCH
        if row["status"] is None:
            return None
        return Replay(int(row["status"]), row["content_type"], row["body"].encode("utf-8"))

    @staticmethod
    def _stale(row: dict[str, Any], now: int) -> bool:
        created = int(row["created_at"])
        return created < now - KEEP_SECONDS * 1000 or (row["status"] is None and created < now - ABANDONED_SECONDS * 1000)

    def _settle(self, client: int, key: str, answering: asyncio.Future[None]) -> None:
        if self._answering.get((client, key)) is answering:
            del self._answering[(client, key)]
        if not answering.done():
            answering.set_result(None)

    def answered(self, claimed: Claimed) -> None:
        """The answer is stored under the key (or the key released): duplicates waiting here may look again."""
        answering = self._answering.get((claimed.client, claimed.key))
        if answering is not None:
            self._settle(claimed.client, claimed.key, answering)

    async def release(self, claimed: Claimed) -> None:
        """Give the key up unanswered (the request was refused or failed), so that a retry is answered afresh."""
        try:
            async with writing(self.engine, serialise=False) as writer:
                await writer.execute(RELEASE_KEY, claimed.client, claimed.key, claimed.claim)
        finally:
            self.answered(claimed)

    async def forget_expired(self) -> None:
        """Delete keys older than 24 hours."""
        before = int(self.clock() * 1000) - KEEP_SECONDS * 1000
        async with writing(self.engine, serialise=False) as writer:
            await writer.execute(FORGET_KEYS_BEFORE, before)

    async def start(self) -> None:
        """Forget expired keys every ten minutes in the background."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop forgetting."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.forget_expired()
            except Exception as error:  # the next round tries again
                self._retries.failed(error)
            else:
                self._retries.succeeded()
            await asyncio.sleep(CLEAN_UP_SECONDS)
