"""Plain SQL over the transaction's own connection, for reads of many rows and bulk writes.

Statements are written once with `?` parameters and live in the query modules
(`registry/services/queries.py`, `registry/services/<capability>/queries.py`); PostgreSQL's
numbered form of each (`$1, $2, ...`) is worked out the first time it runs and remembered.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import re
from typing import Any, AsyncIterator, Iterable

from piccolo.engine.base import Engine

from registry.db import is_sqlite, write_transaction
from registry.tables import ALL_TABLES

_QUESTION_MARK = re.compile(r"\?")
PAGE_SIZE = 5000
# Bound parameters per statement stay far below SQLite's limit of 32,766.
CHUNK = 500
COPY_FROM = 200
# Every named statement, and every length of `IN` list a chunked lookup makes, with room to spare.
REMEMBERED_STATEMENTS = 2048
# The only identifiers bulk inserts and id allocation put into SQL: the tables and their columns.
COLUMNS_OF = {table._meta.tablename: frozenset(column._meta.db_column_name for column in table._meta.columns) for table in ALL_TABLES}
# A table name cannot be bound: one statement per registry table, never from input.
LAST_ID = {table: f'SELECT COALESCE(MAX(id), 0) AS last FROM "{table}"' for table in COLUMNS_OF}  # nosec B608 # table names of the registry's own tables
NEXT_IDS = "SELECT nextval(pg_get_serial_sequence(?, 'id')) AS id FROM generate_series(1, ?)"


@functools.lru_cache(maxsize=REMEMBERED_STATEMENTS)
def numbered(sql: str) -> str:
    """`sql` with PostgreSQL's `$1, $2, ...` in place of `?`, worked out once per statement."""
    numbers = itertools.count(1)
    return _QUESTION_MARK.sub(lambda _: f"${next(numbers)}", sql)


def marks(count: int) -> str:
    """`count` comma-separated `?` parameters, for an `IN (...)` list or a VALUES row."""
    return ", ".join("?" * count)


def _check_names(table: str, columns: tuple[str, ...]) -> None:
    known = COLUMNS_OF.get(table)
    if known is None or not known.issuperset(columns):
        raise ValueError(f"not a registry table and its columns: {table} {columns}")


@functools.lru_cache(maxsize=256)
def insert_statement(table: str, columns: tuple[str, ...]) -> str:
    """INSERT of one row into `table`; table and column names must be the registry's own (never input)."""
    _check_names(table, columns)
    quoted = ", ".join(f'"{column}"' for column in columns)
    return f'INSERT INTO "{table}" ({quoted}) VALUES ({marks(len(columns))})'  # nosec B608 # names checked against COLUMNS_OF above


@functools.lru_cache(maxsize=256)
def versioned_update_statement(table: str, columns: tuple[str, ...]) -> str:
    """UPDATE of `columns` (then the version) of the row with an id; names must be the registry's own (never input)."""
    _check_names(table, columns)
    assignments = ", ".join(f'"{column}" = ?' for column in columns)
    return f'UPDATE "{table}" SET {assignments}, version = version + 1 WHERE id = ?'  # nosec B608 # names checked against COLUMNS_OF above


class Writer:
    """SQL with `?` parameters on SQLite or PostgreSQL inside one transaction."""

    def __init__(self, engine: Engine, connection: Any):
        self.engine = engine
        self.connection = connection
        self.sqlite = is_sqlite(engine)

    async def fetch_all(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Every row as a dict."""
        if self.sqlite:
            async with self.connection.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        return [dict(record) for record in await self.connection.fetch(numbered(sql), *params)]

    async def fetch_in(self, sql: str, values: list[Any], *leading: Any) -> list[dict[str, Any]]:
        """Rows of `sql`, which ends in `IN`, for many values, a chunk at a time; `leading` binds the `?`s before the list."""
        rows: list[dict[str, Any]] = []
        unique = list(dict.fromkeys(values))
        for start in range(0, len(unique), CHUNK):
            chunk = unique[start : start + CHUNK]
            rows.extend(await self.fetch_all(f"{sql} ({marks(len(chunk))})", *leading, *chunk))
        return rows

    async def fetch_one(self, sql: str, *params: Any) -> dict[str, Any] | None:
        """The first row, or None."""
        rows = await self.fetch_all(sql, *params)
        return rows[0] if rows else None

    async def fetch_row(self, sql: str, *params: Any) -> dict[str, Any]:
        """The row a query always returns (an aggregate, an upsert's RETURNING); none is a bug in the query."""
        row = await self.fetch_one(sql, *params)
        if row is None:
            raise LookupError(f"no row from a query that always returns one: {sql}")
        return row

    async def execute(self, sql: str, *params: Any) -> None:
        """Run one statement."""
        if self.sqlite:
            await self.connection.execute(sql, params)
        else:
            await self.connection.execute(numbered(sql), *params)

    async def execute_many(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        """Run one statement for every parameter tuple."""
        rows = list(rows)
        if not rows:
            return
        if self.sqlite:
            await self.connection.executemany(sql, rows)
        else:
            await self.connection.executemany(numbered(sql), rows)

    async def insert_many(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert rows that all have the same keys into one of the registry's tables."""
        if not rows:
            return
        columns = tuple(rows[0])
        statement = insert_statement(table, columns)
        if not self.sqlite and len(rows) >= COPY_FROM:
            # COPY moves big batches into PostgreSQL several times faster than row-by-row inserts.
            await self.connection.copy_records_to_table(table, records=[tuple(row[c] for c in columns) for row in rows], columns=list(columns))
            return
        await self.execute_many(statement, (tuple(row[column] for column in columns) for row in rows))

    async def allocate_ids(self, table: str, count: int) -> list[int]:
        """Ids for new rows of one of the registry's tables, increasing; the caller holds the write lock."""
        if table not in COLUMNS_OF:
            raise ValueError(f"not a registry table: {table}")
        if count == 0:
            return []
        if self.sqlite:
            row = await self.fetch_row(LAST_ID[table])
            first = int(row["last"]) + 1
            return list(range(first, first + count))
        rows = await self.fetch_all(NEXT_IDS, table, count)
        return [int(row["id"]) for row in rows]

    async def stream(self, sql_ordered_by_id: str) -> AsyncIterator[dict[str, Any]]:
        """Rows of `SELECT ... ORDER BY id` page by page, keyed on id."""
        base = sql_ordered_by_id.replace(" ORDER BY id", "")
        joiner = " AND " if " WHERE " in base else " WHERE "
        page = f"{base}{joiner}id > ? ORDER BY id LIMIT {PAGE_SIZE}"
        last_id = 0
        while True:
            rows = await self.fetch_all(page, last_id)
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
