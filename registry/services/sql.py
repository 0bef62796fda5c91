"""Plain SQL over the transaction's own connection, for reads of many rows and bulk writes."""

from __future__ import annotations

import contextlib
import re
from typing import Any, AsyncIterator, Iterable

from piccolo.engine.base import Engine

from registry.db import is_sqlite, write_transaction

_QUESTION_MARK = re.compile(r"\?")
PAGE_SIZE = 5000
# Bound parameters per statement stay far below SQLite's limit of 32,766.
CHUNK = 500
COPY_FROM = 200


class Writer:
    """SQL with `?` parameters on SQLite or PostgreSQL inside one transaction."""

    def __init__(self, engine: Engine, connection: Any):
        self.engine = engine
        self.connection = connection
        self.sqlite = is_sqlite(engine)

    def _sql(self, sql: str) -> str:
        if self.sqlite:
            return sql
        numbers = iter(range(1, 10_000))
        return _QUESTION_MARK.sub(lambda _: f"${next(numbers)}", sql)

    async def fetch_all(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Every row as a dict."""
        if self.sqlite:
            async with self.connection.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        return [dict(record) for record in await self.connection.fetch(self._sql(sql), *params)]

    async def fetch_in(self, sql: str, values: list[Any]) -> list[dict[str, Any]]:
        """Rows of `sql`, which ends in `IN`, for many values, a chunk at a time."""
        rows: list[dict[str, Any]] = []
        unique = list(dict.fromkeys(values))
        for start in range(0, len(unique), CHUNK):
            chunk = unique[start : start + CHUNK]
            rows.extend(await self.fetch_all(f"{sql} ({', '.join('?' * len(chunk))})", *chunk))
        return rows

    async def fetch_one(self, sql: str, *params: Any) -> dict[str, Any] | None:
        """The first row, or None."""
        rows = await self.fetch_all(sql, *params)
        return rows[0] if rows else None

    async def execute(self, sql: str, *params: Any) -> None:
        """Run one statement."""
        if self.sqlite:
            await self.connection.execute(sql, params)
        else:
            await self.connection.execute(self._sql(sql), *params)

    async def execute_many(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        """Run one statement for every parameter tuple."""
        rows = list(rows)
        if not rows:
            return
        if self.sqlite:
            await self.connection.executemany(sql, rows)
        else:
            await self.connection.executemany(self._sql(sql), rows)

    async def insert_many(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert rows that all have the same keys."""
        if not rows:
            return
        columns = list(rows[0])
        if not self.sqlite and len(rows) >= COPY_FROM:
            # COPY moves big batches into PostgreSQL several times faster than row-by-row inserts.
            await self.connection.copy_records_to_table(table, records=[tuple(row[c] for c in columns) for row in rows], columns=columns)
            return
        quoted = ", ".join(f'"{column}"' for column in columns)
        marks = ", ".join("?" * len(columns))
        await self.execute_many(
            f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})',
            (tuple(row[column] for column in columns) for row in rows),
        )

    async def allocate_ids(self, table: str, count: int) -> list[int]:
        """Ids for new rows, increasing; the caller holds the write lock."""
        if count == 0:
            return []
        if self.sqlite:
            row = await self.fetch_one(f'SELECT COALESCE(MAX(id), 0) AS last FROM "{table}"')
            first = int(row["last"]) + 1
            return list(range(first, first + count))
        rows = await self.fetch_all(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, ?)", count
        )
        return [int(row["id"]) for row in rows]

    async def stream(self, sql_ordered_by_id: str) -> AsyncIterator[dict[str, Any]]:
        """Rows of `SELECT ... ORDER BY id` page by page, keyed on id."""
        base = sql_ordered_by_id.replace(" ORDER BY id", "")
        joiner = " AND " if " WHERE " in base else " WHERE "
        last_id = 0
        while True:
            rows = await self.fetch_all(f"{base}{joiner}id > ? ORDER BY id LIMIT {PAGE_SIZE}", last_id)
            for row in rows:
                yield row
            if len(rows) < PAGE_SIZE:
                return
            last_id = rows[-1]["id"]


@contextlib.asynccontextmanager
async def writing(engine: Engine, serialise: bool = True) -> AsyncIterator[Writer]:
    """A write transaction, holding the registry's write lock unless serialise is False."""
    async with write_transaction(engine, serialise) as transaction:
        yield Writer(engine, transaction.connection)


@contextlib.asynccontextmanager
async def reading(engine: Engine) -> AsyncIterator[Writer]:
    """A read-only view of one consistent snapshot."""
    async with engine.transaction() as transaction:
        if not is_sqlite(engine):
            await transaction.connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield Writer(engine, transaction.connection)
