"""Test databases: a fresh, migrated SQLite file or PostgreSQL database for every test that asks.

REGISTRY_TEST_DATABASE=postgresql runs the database tests against the PostgreSQL at
REGISTRY_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres), each test in its
own database cloned from a template migrated once per run.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import AsyncIterator, Iterator

import asyncpg
import pytest

from registry import db
from registry.settings import Settings

BACKEND = os.environ.get("REGISTRY_TEST_DATABASE", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get("REGISTRY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
RUN_ID = uuid.uuid4().hex[:8]
# One audit chain key for the run, in the environment too, so `registry` commands the tests start (which read
# REGISTRY_AUDIT_KEY_FILE) chain and check events with the same key as the app under test.
AUDIT_KEY_FILE = Path(os.environ.setdefault("REGISTRY_AUDIT_KEY_FILE", str(Path(tempfile.gettempdir()) / f"registry-test-audit-key-{RUN_ID}.json")))
_numbers = itertools.count(1)


def postgres_url(database: str) -> str:
    """The admin URL pointed at another database."""
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database to copy for each test: a file path or a PostgreSQL database name."""
    if BACKEND == "postgresql":
        name = f"registry_test_{RUN_ID}_template"
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
        asyncio.run(db.migrate(db.build_engine(Settings(database_url=postgres_url(name)))))
        yield name
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        asyncio.run(db.migrate(db.build_engine(Settings(database_url=f"sqlite:///{path}"))))
        yield str(path)


@contextlib.contextmanager
def fresh_database(database_template: str, directory: Path) -> Iterator[str]:
    """A migrated database copied from the template, dropped afterwards (PostgreSQL)."""
    if BACKEND == "postgresql":
        name = f"registry_test_{RUN_ID}_{next(_numbers)}"
        asyncio.run(_admin(f'CREATE DATABASE "{name}" TEMPLATE "{database_template}"'))
        try:
            yield postgres_url(name)
        finally:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        path = directory / "registry.db"
        shutil.copyfile(database_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database of its own for one test."""
    with fresh_database(database_template, tmp_path) as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for one test's own database and data directory."""
    # No pause before refusing an address over its limit: tests reach limits on purpose (tests/unit/test_public_work.py holds the pause).
    return Settings(database_url=database_url, data_dir=tmp_path / "data", audit_key_file=AUDIT_KEY_FILE, over_limit_pause_seconds=0)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[object]:
    """The engine for this test's database, bound to every table, pool open on this test's loop."""
    engine = db.bind(db.build_engine(settings))
    await db.start(engine, pool_size=4)
    yield engine
    await db.stop(engine)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop SQLite connection threads that a test left open, so that the run can end (and say how many there were).

    aiosqlite runs each connection on a thread that is not a daemon and waits for work until the connection
    is closed; one left open (a transaction cancelled while its connection was being opened, as an app stops)
    keeps the interpreter from exiting after every test has passed.
    """
    import threading

    from aiosqlite import core

    left = [thread for thread in threading.enumerate()
            if thread.is_alive() and getattr(getattr(thread, "_target", None), "__name__", "") == "_connection_worker_thread"]
    for thread in left:
        work = thread._args[0]  # type: ignore[attr-defined]  # the connection's queue of work
        work.put((None, lambda: core._STOP_RUNNING_SENTINEL))
    if left:
        print(f"\n{len(left)} SQLite connection thread(s) were left open by the tests and have been stopped")
