"""Stores verification answers with group commit: one transaction for every answer waiting.

An answer is returned to the client only after its row is committed, so nothing acknowledged is
lost; while one transaction commits, the next answers queue up and share the following one.
On SQLite the rows go through one persistent connection on one thread of its own, so a commit
costs one hop off the event loop instead of the eight a fresh Piccolo connection takes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from piccolo.engine.base import Engine

from registry.db import is_sqlite, sqlite_path
from registry.services.sql import reading, writing
from registry.services.verification.queries import COMPLETE_KEY, STORE_ANSWER, STORED_COLUMNS, STORED_RESULT

# Verification ids are UUIDs: a longer one was never stored, so it is not looked up.
MAX_VERIFICATION_ID = 36


class _SQLiteWriter:
    """A durable connection used only from its own single thread."""

    def __init__(self, path: str, busy_timeout: float):
        self.path = path
        self.busy_timeout = busy_timeout
        self.connection: sqlite3.Connection | None = None
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verification-store")

    def write(self, rows: list[tuple[Any, ...]], completions: list[tuple[Any, ...]]) -> None:
        if self.connection is None:
            # Same adapters as Piccolo's connections (registered on the sqlite3 module), so rows read back alike.
            self.connection = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
            self.connection.execute("PRAGMA synchronous = FULL")
            self.connection.execute("PRAGMA foreign_keys = 1")
        try:
            self.connection.execute("BEGIN IMMEDIATE")
            self.connection.executemany(STORE_ANSWER, rows)
            if completions:
                self.connection.executemany(COMPLETE_KEY, completions)
            self.connection.execute("COMMIT")
        except BaseException:
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            raise

    def close(self) -> None:
        def close_connection() -> None:
            if self.connection is not None:
                self.connection.close()
                self.connection = None

        self.thread.submit(close_connection).result()
        self.thread.shutdown(wait=True)


class VerificationStore:
    """Queue of rows to insert into `verification`, flushed by one writer task."""

    def __init__(self, engine: Engine, sqlite_busy_timeout: float = 30.0):
        self.engine = engine
        self._waiting: list[tuple[list[dict[str, Any]], tuple[Any, ...] | None, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._sqlite = _SQLiteWriter(sqlite_path(engine), sqlite_busy_timeout) if is_sqlite(engine) else None

    async def store(self, rows: list[dict[str, Any]], completion: tuple[Any, ...] | None = None) -> None:
        """Return once these rows are committed, with the answer under its idempotency key (`Claimed.completion`) if given."""
        if not rows and completion is None:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((rows, completion, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            rows = [tuple(row[column] for column in STORED_COLUMNS) for rows, _, _ in group for row in rows]
            completions = [completion for _, completion, _ in group if completion is not None]
            try:
                await self._write(rows, completions)
            except Exception as problem:
                for _, _, done in group:
                    if not done.done():
                        done.set_exception(problem)
                continue
            for _, _, done in group:
                if not done.done():
                    done.set_result(None)

    async def _write(self, rows: list[tuple[Any, ...]], completions: list[tuple[Any, ...]]) -> None:
        if self._sqlite is not None:
            await asyncio.get_running_loop().run_in_executor(self._sqlite.thread, self._sqlite.write, rows, completions)
            return
        async with writing(self.engine, serialise=False) as writer:
            await writer.execute_many(STORE_ANSWER, rows)
            await writer.execute_many(COMPLETE_KEY, completions)

    async def stop(self) -> None:
        """Wait for the last rows to be written and close the connection."""
        if self._writer is not None:
            await asyncio.shield(self._writer)
        if self._sqlite is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._sqlite.close)


async def stored_result(engine: Engine, verification_id: str, client: int) -> Any | None:
    """The stored answer (JSON) to verification `verification_id` when `client` (an api_client id) made it, else None."""
    if len(verification_id) > MAX_VERIFICATION_ID:
        return None
    async with reading(engine) as reader:
        row = await reader.fetch_one(STORED_RESULT, verification_id, client)
    return None if row is None else row["result"]
