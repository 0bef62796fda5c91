"""PostgreSQL backups with pg_dump and restores with pg_restore (the client tools must be installed)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess  # only pg_dump and pg_restore, with argument lists and no shell
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg

from registry.backup import BackupError, partial_path, publish, summarise
from registry.db import build_engine
from registry.services.queries import EXPORT_SNAPSHOT
from registry.services.sql import Writer
from registry.settings import Settings

# pg_restore --clean needs exclusive locks: fail after this long instead of queueing behind
# instances still running on the target (and, through the queue, blocking their queries too).
RESTORE_LOCK_TIMEOUT = "10s"


def tool(name: str) -> str:
    """The path of a PostgreSQL client tool, or a clear error."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found on PATH: install the PostgreSQL client tools of the server's major version "
            "or newer (Debian: apt-get install postgresql-client)"
        )
    return path


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and an environment carrying the password for libpq.

    A password on the command line would show in every process listing.
    """
    parts = urlsplit(url)
    environment = dict(os.environ)  # the tools need PATH, locale and any PG* the operator set
    userinfo, at, hostport = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if colon:
        environment["PGPASSWORD"] = unquote(password)
        parts = parts._replace(netloc=f"{user}{at}{hostport}")
    return urlunsplit(parts), environment


def _failed(name: str, stderr: bytes) -> BackupError:
    return BackupError(f"{name} failed: {stderr.decode(errors='replace').strip()[-2000:]}")


async def backup(settings: Settings, dest: Path, force: bool) -> dict[str, Any]:
    """pg_dump --format=custom into DEST, counting and checking exactly the snapshot it dumps."""
    pg_dump = tool("pg_dump")
    url, environment = libpq_target(settings.database_url)
    connection = await asyncpg.connect(settings.database_url)
    partial = partial_path(dest)
    try:
        # pg_dump takes the snapshot this transaction exports, so the counts and the audit check
        # below describe the archive exactly, while writers carry on.
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await connection.fetchval(EXPORT_SNAPSHOT)
            process = await asyncio.create_subprocess_exec(
                pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-password", f"--file={partial}", f"--dbname={url}",
                env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            try:
                summary = await summarise(Writer(build_engine(settings), connection))
            finally:
                _, stderr = await process.communicate()
        if process.returncode != 0:
            raise _failed("pg_dump", stderr)
        publish(partial, dest, force)
    finally:
        partial.unlink(missing_ok=True)
        await connection.close()
    return summary


def check_target(settings: Settings) -> None:
    """Fail early, before anything is read or changed, when the tools or the database are missing."""
    tool("pg_restore")

    async def connect() -> None:
        connection = await asyncpg.connect(settings.database_url)
        await connection.close()

    try:
        asyncio.run(connect())
    except asyncpg.InvalidCatalogNameError:
        database = urlsplit(settings.database_url).path.lstrip("/")
        raise BackupError(f"database {database!r} does not exist: create it first (createdb {database})") from None


def restore(settings: Settings, source: Path) -> None:
    """pg_restore the archive into the target in one transaction: all of it, or nothing on error."""
    pg_restore = tool("pg_restore")
    url, environment = libpq_target(settings.database_url)
    environment["PGOPTIONS"] = f"{environment.get('PGOPTIONS', '')} -c lock_timeout={RESTORE_LOCK_TIMEOUT}".strip()
    completed = subprocess.run(
        [pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
         "--no-password", f"--dbname={url}", str(source)],
        env=environment, capture_output=True, check=False,
    )
    if completed.returncode != 0:
        message = completed.stderr.decode(errors="replace")
        if "lock timeout" in message:
            raise BackupError("pg_restore could not lock the target's tables: stop every `registry serve` on it first; nothing was changed")
        raise _failed("pg_restore", completed.stderr)
