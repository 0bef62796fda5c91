"""Helpers for the backup, restore and concurrency tests: extra databases, the CLI, subject statuses."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any, AsyncIterator

from registry import db, rules
from registry.services.sql import reading
from registry.services.verification.snapshot import to_decision
from registry.settings import Settings
from tests.conftest import AUDIT_KEY_FILE, BACKEND, RUN_ID, _admin, postgres_url
from tests.functional.test_cli import REGISTRY

SUBJECT_TABLES = {"coach": ("coach", "registration_number"), "programme": ("programme", "code"), "training": ("training", "code")}


async def registry_async(database_url: str, *args: str, path: str | None = None) -> tuple[int, str, str]:
    """Run `registry ARGS` in a subprocess without blocking this test's event loop."""
    env = {**os.environ, "REGISTRY_DATABASE_URL": database_url}
    if path is not None:
        env["PATH"] = path
    process = await asyncio.create_subprocess_exec(*REGISTRY, *args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, out.decode(), err.decode()


async def registry_json(database_url: str, *args: str) -> dict[str, Any]:
    """Run a command that must succeed and print JSON."""
    code, out, err = await registry_async(database_url, *args)
    assert code == 0, err
    return json.loads(out)


@contextlib.asynccontextmanager
async def empty_database(directory: Path) -> AsyncIterator[str]:
    """A database nothing has touched: a file not yet created, or a bare PostgreSQL database."""
    if BACKEND == "postgresql":
        name = f"registry_test_{RUN_ID}_bare_{uuid.uuid4().hex[:8]}"
        await _admin(f'CREATE DATABASE "{name}"')
        try:
            yield postgres_url(name)
        finally:
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{directory / uuid.uuid4().hex[:8] / 'registry.db'}"


@contextlib.asynccontextmanager
async def open_engine(database_url: str, pool_size: int = 2) -> AsyncIterator[Any]:
    """An engine of its own on a database, as another server process would have."""
    engine = db.build_engine(Settings(database_url=database_url, audit_key_file=AUDIT_KEY_FILE))
    await db.start(engine, pool_size=pool_size)
    try:
        yield engine
    finally:
        await db.stop(engine)


async def subject_decisions(engine: Any) -> dict[tuple[str, str], list[rules.Decision]]:
    """Every subject's decisions as the rules see them, keyed by (kind, code)."""
    subjects: dict[tuple[str, str], list[rules.Decision]] = {}
    async with reading(engine) as reader:
        for kind, (table, column) in SUBJECT_TABLES.items():
            codes = {row["id"]: row["code"] for row in await reader.fetch_all(f'SELECT id, {column} AS code FROM "{table}"')}
            for code in codes.values():
                subjects[(kind, code)] = []
            rows = await reader.fetch_all("SELECT * FROM decision WHERE subject_kind = ? ORDER BY id", kind)
            for row in rows:
                subjects[(kind, codes[row["subject_id"]])].append(to_decision(row))
    return subjects


async def statuses(engine: Any, days: list[dt.date], known_at: dt.datetime) -> dict[tuple[str, str], tuple[str, ...]]:
    """Each subject's status on each day, as known now and as known at `known_at`."""
    result = {}
    for subject, decisions in (await subject_decisions(engine)).items():
        now, then = rules.Timeline(decisions), rules.Timeline(decisions, known_at)
        result[subject] = tuple(str(timeline.status_on(day)) for timeline in (now, then) for day in days)
    return result
