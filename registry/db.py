"""Database engines from settings (SQLite in WAL mode or PostgreSQL), binding and write transactions."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import weakref
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import urlparse

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from registry.settings import Settings
from registry.tables import ALL_TABLES

# Piccolo looks its engine up through this module; the CLI and the app set it before any query.
os.environ.setdefault("PICCOLO_CONF", "registry.piccolo_conf")

# One constant key for PostgreSQL's transaction-level advisory lock that serialises registry writes,
# so decision ids, recorded_at and the audit chain follow commit order.
WRITE_LOCK_KEY = 0x534D52
# The settings each engine was built from: services that keep a file beside the database (the audit
# chain's key) find it through the engine they write with.
_SETTINGS_OF: "weakref.WeakKeyDictionary[Engine, Settings]" = weakref.WeakKeyDictionary()


class ClosingSQLiteTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction, but closing its connection when BEGIN fails.

    Piccolo opens the connection, then runs BEGIN; when BEGIN IMMEDIATE gives up on a locked file
    ("database is locked"), its __aexit__ never runs and the connection's aiosqlite thread lives on:
    one leaked thread per timeout, and a process that then cannot exit (the thread is not a daemon).
    """

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            await self.begin()
        except BaseException:
            await self.connection.close()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self


class RegistrySQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine with durable, lock-tolerant connections."""

    def transaction(self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True) -> SQLiteTransaction:
        return ClosingSQLiteTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    async def _prepare(self, connection: aiosqlite.Connection) -> aiosqlite.Connection:
        # synchronous=FULL so an acknowledged write survives power loss even in WAL mode.
        await connection.execute("PRAGMA foreign_keys = 1")
        await connection.execute("PRAGMA synchronous = FULL")
        connection.row_factory = dict_factory  # type: ignore[assignment]
        return connection

    async def get_connection(self) -> aiosqlite.Connection:
        return await self._prepare(await aiosqlite.connect(**self.connection_kwargs))

    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None, query_type: str = "generic", table=None):
        async with aiosqlite.connect(**self.connection_kwargs) as connection:
            await self._prepare(connection)
            async with connection.execute(query, args or []) as cursor:
                await connection.commit()
                return await cursor.fetchall()


class RegistryPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine, as an object the registry can note its settings against (Piccolo's has slots)."""


def build_engine(settings: Settings) -> Engine:
    """The engine REGISTRY_DATABASE_URL names."""
    url = settings.database_url
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Password hashes and private coach fields live here: a new file is the owner's only (SQLite gives
        # its -wal and -shm files the same mode).
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        engine: Engine = RegistrySQLiteEngine(path=path, timeout=settings.sqlite_busy_timeout_seconds)
    elif url.startswith(("postgresql://", "postgres://")):
        engine = RegistryPostgresEngine(config={"dsn": url})
    else:
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:///path or postgresql://user@host:port/db")
    _SETTINGS_OF[engine] = settings
    return engine


def settings_of(engine: Engine) -> Settings:
    """The settings an engine was built from by `build_engine`."""
    settings = _SETTINGS_OF.get(engine)
    if settings is None:
        raise LookupError("this engine was not built by db.build_engine, so its settings are unknown")
    return settings


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded SQLite engine."""
    return engine.engine_type == "sqlite"


def sqlite_path(engine: Engine) -> str:
    """The database file of a SQLite engine."""
    if not isinstance(engine, SQLiteEngine):
        raise TypeError(f"not a SQLite engine: {engine.engine_type}")
    return engine.path


def postgres_dsn(engine: Engine) -> str:
    """The connection string of a PostgreSQL engine."""
    if not isinstance(engine, PostgresEngine):
        raise TypeError(f"not a PostgreSQL engine: {engine.engine_type}")
    return engine.config["dsn"]


def bind(engine: Engine) -> Engine:
    """Make every table, and Piccolo's migration machinery, use this engine."""
    from piccolo.apps.migrations.tables import Migration

    from registry import piccolo_conf

    piccolo_conf.DB = engine
    for table in (*ALL_TABLES, Migration):
        table._meta.db = engine
    return engine


def enable_wal(engine: Engine) -> None:
    """Put a SQLite file in WAL mode (a property of the file, so once is enough)."""
    if is_sqlite(engine):
        with contextlib.closing(sqlite3.connect(sqlite_path(engine))) as connection:
            connection.execute("PRAGMA journal_mode = WAL")


async def start(engine: Engine, pool_size: int = 10) -> None:
    """Open the PostgreSQL connection pool (SQLite opens a connection per query)."""
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=pool_size)


async def stop(engine: Engine) -> None:
    """Close the PostgreSQL connection pool; connections still checked out after 10 s are cut."""
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        try:
            await asyncio.wait_for(engine.pool.close(), timeout=10)
        except asyncio.TimeoutError:
            engine.pool.terminate()
        engine.pool = None


@contextlib.asynccontextmanager
async def write_transaction(engine: Engine, serialise: bool = True) -> AsyncIterator[Any]:
    """A transaction that holds the registry's write lock from its first statement.

    SQLite: BEGIN IMMEDIATE takes the file's write lock up front, so concurrent writers wait
    (busy timeout) instead of failing with "database is locked". PostgreSQL: an advisory lock
    serialises writers so decision ids and recorded_at follow commit order; writes that touch
    neither decisions nor the audit chain (stored verifications) pass serialise=False.
    """
    if is_sqlite(engine):
        async with engine.transaction(transaction_type=TransactionType.immediate) as transaction:
            yield transaction
    else:
        async with engine.transaction() as transaction:
            if serialise:
                await transaction.connection.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
            yield transaction


def parse_database_url(url: str) -> dict[str, str]:
    """Parts of a PostgreSQL URL, for tools that want them separately."""
    parsed = urlparse(url)
    return {
        "host": parsed.hostname or "",
        "port": str(parsed.port or 5432),
        "user": parsed.username or "",
        "database": parsed.path.lstrip("/"),
    }


async def migrate(engine: Engine) -> None:
    """Apply every migration not yet applied (idempotent)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    bind(engine)
    enable_wal(engine)
    with contextlib.redirect_stdout(None):
        result = await run_forwards(app_name="registry")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


async def pending_migrations(engine: Engine) -> list[str]:
    """Ids of migrations in the migrations folder that the database has not applied."""
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.apps.migrations.tables import Migration

    from registry.piccolo_app import MIGRATIONS_FOLDER

    bind(engine)
    known = set(BaseMigrationManager().get_migration_modules(str(MIGRATIONS_FOLDER)))
    if not await Migration.table_exists().run():
        return sorted(known)
    applied = set(await Migration.get_migrations_which_ran(app_name="registry"))
    return sorted(known - applied)
