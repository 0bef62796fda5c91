"""Backups and restores of the registry's database: an online SQLite copy or a pg_dump archive."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any

from piccolo.engine.base import Engine

from registry import db
from registry.services import queries
from registry.services.audit import verify_chain
from registry.services.sql import Writer, reading, writing
from registry.settings import Settings
from registry.tables import ALL_TABLES

# Rows in these tables make a database "not empty": a restore over them needs --force.
RECORD_TABLES = tuple(table._meta.tablename for table in ALL_TABLES)
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message says what to do."""


# --- what a database holds -----------------------------------------------------------------------


async def existing_tables(reader: Writer) -> set[str]:
    """Names of the tables in the database (none in a database never migrated)."""
    rows = await reader.fetch_all(queries.SQLITE_TABLES if reader.sqlite else queries.POSTGRES_TABLES)
    return {row["name"] for row in rows}


async def table_counts(reader: Writer) -> dict[str, int]:
    """Rows per registry table that exists."""
    present = await existing_tables(reader)
    counts = {}
    for name in queries.COUNTED_TABLES:
        if name in present:
            row = await reader.fetch_row(queries.ROW_COUNT[name])
            counts[name] = int(row["n"])
    return counts


async def summarise(reader: Writer) -> dict[str, Any]:
    """Row counts, data version (last decision id) and the audit chain, all from the reader's one snapshot."""
    counts = await table_counts(reader)
    data_version = 0
    events, broken = 0, []
    if "decision" in counts:
        data_version = int((await reader.fetch_row(queries.DATA_VERSION))["id"])
    if "audit_event" in counts:
        events, broken = await verify_chain(reader)
    return {
        "data_version": data_version,
        "audit_events": events,
        "audit_chain": "broken" if broken else "intact",
        "audit_broken_ids": broken[:20],
        "tables": counts,
    }


async def _with_engine(settings: Settings, work: Any, pool_size: int = 2) -> Any:
    engine = db.bind(db.build_engine(settings))
    await db.start(engine, pool_size=pool_size)
    try:
        return await work(engine)
    finally:
        await db.stop(engine)


async def _summary_of(engine: Engine) -> dict[str, Any]:
    async with reading(engine) as reader:
        return await summarise(reader)


# --- writing DEST atomically ---------------------------------------------------------------------


def partial_path(dest: Path) -> Path:
    """A new, empty, owner-only file beside DEST, so the final rename stays on one file system.

    Owner-only from the start: a backup holds password hashes and personal data.
    """
    partial = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return partial


def refuse_existing(dest: Path, force: bool) -> None:
    """Stop before any work when DEST exists and --force was not given."""
    if dest.exists() and not force:
        raise BackupError(f"{dest} exists: choose another name or pass --force to replace it")
    if not dest.parent.is_dir():
        raise BackupError(f"{dest.parent} is not a directory")


def publish(partial: Path, dest: Path, force: bool) -> None:
    """Move a finished, synced file to DEST in one step; without --force never replace a file."""
    os.chmod(partial, 0o600)  # whatever the tool that wrote it did
    with open(partial, "rb") as file:
        os.fsync(file.fileno())
    try:
        if force:
            os.replace(partial, dest)
        else:
            # link() fails if DEST appeared meanwhile, where rename() would silently replace it.
            os.link(partial, dest)
            os.unlink(partial)
    except FileExistsError:
        partial.unlink(missing_ok=True)
        raise BackupError(f"{dest} appeared while the backup ran: pass --force to replace it") from None
    directory = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)


# --- SQLite ----------------------------------------------------------------------------------------


def sqlite_path(settings: Settings) -> Path:
    """The database file a sqlite:/// URL names."""
    return Path(settings.database_url[len("sqlite:///"):])


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def copy_sqlite(source: Path, partial: Path, busy_timeout: float) -> None:
    """An online copy of one consistent snapshot, as a single self-contained file (no -wal)."""
    with contextlib.closing(sqlite3.connect(source, timeout=busy_timeout)) as live, \
            contextlib.closing(sqlite3.connect(partial)) as copy:
        # One step (pages=-1) reads every page inside one read transaction: in WAL mode writers
        # carry on meanwhile, and a stepwise copy would restart each time one of them commits.
        live.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode = DELETE")
        problems = copy.execute("PRAGMA integrity_check").fetchall()
    if problems != [("ok",)]:
        raise BackupError(f"the copy failed its integrity check: {problems[:5]}")


async def backup_sqlite(settings: Settings, dest: Path, force: bool) -> dict[str, Any]:
    """Copy the live SQLite file to DEST, check the copy, then put it in place."""
    source = sqlite_path(settings)
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    partial = partial_path(dest)
    try:
        await asyncio.to_thread(copy_sqlite, source, partial, settings.sqlite_busy_timeout_seconds)
        summary = await _with_engine(settings.with_database(f"sqlite:///{partial}"), _summary_of)
        publish(partial, dest, force)
    finally:
        partial.unlink(missing_ok=True)
    return summary


def restore_sqlite_file(source: Path, target: Path, busy_timeout: float) -> None:
    """Copy a backup into the target database through SQLite, never by replacing the file.

    Renaming a file over a database in WAL mode would leave its old -wal and -shm beside the new
    file, and SQLite would apply that stale log to it. The backup API instead writes the pages
    into the target in one transaction, under the target's own lock.
    """
    with contextlib.closing(_read_only(source)) as backup:
        problems = backup.execute("PRAGMA integrity_check").fetchall()
        if problems != [("ok",)]:
            raise BackupError(f"{source} failed its integrity check: {problems[:5]}")
        tables = {row[0] for row in backup.execute(queries.SQLITE_TABLES)}
        if not {"decision", "audit_event"} <= tables:
            raise BackupError(f"{source} is a SQLite file but not a registry backup (no decision or audit_event table)")
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(target, timeout=busy_timeout)) as live:
            backup.backup(live, pages=-1)
            live.execute("PRAGMA journal_mode = WAL")


# --- the commands ------------------------------------------------------------------------------------


def file_kind(path: Path) -> str:
    """'sqlite', 'pgdump' or 'unknown', from the file's first bytes."""
    with open(path, "rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "pgdump"
    return "unknown"


def backup(settings: Settings, dest: Path, force: bool = False) -> dict[str, Any]:
    """Back the configured database up into DEST; returns what the backup holds."""
    from registry import backup_postgres

    refuse_existing(dest, force)
    started = time.perf_counter()
    if settings.database_url.startswith("sqlite:///"):
        summary = asyncio.run(backup_sqlite(settings, dest, force))
        engine = "sqlite"
    else:
        summary = asyncio.run(backup_postgres.backup(settings, dest, force))
        engine = "postgresql"
    return {"engine": engine, "destination": str(dest), "bytes": dest.stat().st_size,
            "seconds": round(time.perf_counter() - started, 3), **summary}


async def _target_rows(engine: Engine) -> dict[str, int]:
    async with reading(engine) as reader:
        counts = await table_counts(reader)
    return {name: count for name, count in counts.items() if name in RECORD_TABLES and count}


async def _finish_restore(engine: Engine) -> dict[str, Any]:
    """Bring the restored schema up to date, end the sessions the backup held, and describe what it holds."""
    pending = await db.pending_migrations(engine)
    await db.migrate(engine)
    # Sessions in a backup belonged to the moment it was made; after a restore everyone signs in again.
    async with writing(engine, serialise=False) as writer:
        await writer.execute(queries.END_ALL_SESSIONS)
    summary = await _summary_of(engine)
    return {"migrations_applied": pending, **summary}


def restore(settings: Settings, source: Path, force: bool = False) -> dict[str, Any]:
    """Restore a backup into the configured database; refuses a database holding records unless forced."""
    from registry import backup_postgres

    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    sqlite = settings.database_url.startswith("sqlite:///")
    kind = file_kind(source)
    if kind != ("sqlite" if sqlite else "pgdump"):
        wanted = "a SQLite backup" if sqlite else "a pg_dump custom-format archive"
        raise BackupError(f"{source} is not {wanted} (found: {kind}); restore a backup made by `registry backup` on the same kind of database")
    started = time.perf_counter()
    if not sqlite:
        backup_postgres.check_target(settings)
    rows = asyncio.run(_with_engine(settings, _target_rows))
    if rows and not force:
        held = ", ".join(f"{name} {count}" for name, count in rows.items())
        raise BackupError(f"the target database is not empty ({held}); nothing was changed. Pass --force to replace its contents")
    if sqlite:
        restore_sqlite_file(source, sqlite_path(settings), settings.sqlite_busy_timeout_seconds)
    else:
        backup_postgres.restore(settings, source)
    summary = asyncio.run(_with_engine(settings, _finish_restore))
    return {"engine": "sqlite" if sqlite else "postgresql", "source": str(source), "replaced_rows": rows,
            "seconds": round(time.perf_counter() - started, 3), **summary}
