"""Stores verification answers with group commit: one transaction for every answer waiting.

An answer is returned to the client only after its row is committed, so nothing acknowledged is
lost; while one transaction commits, the next answers queue up and share the following one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from piccolo.engine.base import Engine

from registry.services.sql import writing


class VerificationStore:
    """Queue of rows to insert into `verification`, flushed by one writer task."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._waiting: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, rows: list[dict[str, Any]]) -> None:
        """Return once these rows are committed."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((rows, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                async with writing(self.engine, serialise=False) as writer:
                    await writer.insert_many("verification", [row for rows, _ in group for row in rows])
            except Exception as problem:
                for _, done in group:
                    if not done.done():
                        done.set_exception(problem)
                continue
            for _, done in group:
                if not done.done():
                    done.set_result(None)

    async def stop(self) -> None:
        """Wait for the last rows to be written."""
        if self._writer is not None:
            await asyncio.shield(self._writer)
