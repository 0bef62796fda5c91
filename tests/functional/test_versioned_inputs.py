"""Everything the rules read is replayable: design, scope and qualification versions are stored append-only, the
migration turns the values stored before it into first versions without changing any answer, and an answer as known
at a time reads them as they stood then."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards

from registry import db, rules
from registry.demo import RECORDED_AT, build_demo_document
from registry.piccolo_app import MIGRATIONS_FOLDER
from registry.services.imports.plan import import_document
from registry.services.sql import reading, writing
from registry.services.verification.snapshot import Snapshot, build_snapshot
from registry.settings import Settings
from tests.conftest import BACKEND, _admin, postgres_url
from tests.functional.helpers import OPERATOR, document, encode, snapshot

VERSION_ID = "2026-12-01T17:20:00:000000"
CORE_TABLES = ("organisation", "training", "programme", "coach", "qualification", "decision")
VERSIONS = {
    "programme_design": ("programme", "effective_from", "sessions", "contact_minutes", "recorded_at"),
    "programme_scope": ("programme", "guidance_type", "format", "recorded_at"),
    "training_scope": ("training", "guidance_types", "formats", "recorded_at"),
    "qualification_version": ("qualification", "completed_on", "certificate", "withdrawn", "recorded_at"),
}
DAYS = [dt.date(2024, 6, 1), dt.date(2025, 3, 15), dt.date(2026, 6, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 1), dt.date(2028, 2, 1)]


async def _columns(reader: Any, table: str) -> set[str]:
    if reader.sqlite:
        return {row["name"] for row in await reader.fetch_all(f'PRAGMA table_info("{table}")')}
    return {row["column_name"] for row in await reader.fetch_all("SELECT column_name FROM information_schema.columns WHERE table_name = ?", table)}


async def _versions(engine: Any) -> dict[str, list[tuple]]:
    async with reading(engine) as reader:
        return {table: sorted(tuple(str(row[c]) for c in columns) for row in await reader.fetch_all(f"SELECT * FROM {table}"))
                for table, columns in VERSIONS.items()}


def _answers(snapshot: Snapshot, known_ats: list[dt.datetime | None]) -> list[tuple]:
    """Every programme with a sample of coaches, on days before, in and after the transition, as known at several times."""
    coaches = [snapshot.coaches[number] for number in sorted(snapshot.coaches)][::7]
    programmes = [snapshot.programmes[code] for code in sorted(snapshot.programmes)]
    answers = []
    for programme, coach, day, known_at in itertools.product(programmes, coaches, DAYS, known_ats):
        verdict = rules.verify_claim(programme.facts, snapshot.coach_facts(coach), day, day + dt.timedelta(days=40), known_at,
                                     snapshot.care_standard)
        answers.append((programme.code, coach.registration_number, day, known_at, verdict.reasons, verdict.qualified))
    return answers


def _legacy(snapshot: Snapshot) -> Snapshot:
    """The same register as the rules saw it before versions: one design from the programme's columns, scopes and qualifications as stored."""
    legacy = Snapshot(trainings=snapshot.trainings, clients=snapshot.clients)
    for code, entry in snapshot.programmes.items():
        first = entry.designs[0]
        legacy.programmes[code] = dataclasses.replace(entry, designs=(first,), scopes=())
    legacy.coaches = snapshot.coaches
    return legacy


@pytest.fixture
async def pre_versions_url(tmp_path: Path) -> Any:
    """An empty database migrated up to the migration before the versions (a PostgreSQL database of its own, or a file)."""
    if BACKEND == "postgresql":
        name = f"registry_pre_versions_{abs(hash(tmp_path)) % 10**8}"
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _admin(f'CREATE DATABASE "{name}"')
        yield postgres_url(name)
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{tmp_path / 'pre-versions.db'}"


async def test_the_migration_makes_first_versions_and_changes_no_answer(engine: Any, pre_versions_url: str, tmp_path: Path) -> None:
    await import_document(engine, encode(build_demo_document(coaches=60)), OPERATOR, now=RECORDED_AT)
    old = db.bind(db.build_engine(Settings(database_url=pre_versions_url, data_dir=tmp_path / "old")))
    await db.start(old, pool_size=2)
    try:
        before = sorted(key for key in BaseMigrationManager().get_migration_modules(str(MIGRATIONS_FOLDER)) if key < VERSION_ID)[-1]
        result = await run_forwards(app_name="registry", migration_id=before)
        assert result.success, result.message
        # The register as it stood before the versions: the same rows, copied table by table, no version anywhere.
        async with reading(engine) as reader:
            rows = {table: await reader.fetch_all(f"SELECT * FROM {table} ORDER BY id") for table in CORE_TABLES}
        async with writing(old) as writer:
            for table in CORE_TABLES:
                present = await _columns(writer, table)
                await writer.insert_many(table, [{k: v for k, v in row.items() if k in present} for row in rows[table]])
        await db.migrate(old)
        assert await _versions(old) == await _versions(engine)
        async with reading(engine) as reader:
            new_snapshot = await build_snapshot(reader)
        async with reading(old) as reader:
            migrated = await build_snapshot(reader)
    finally:
        await db.stop(old)
    recorded = min(d.recorded_at for p in new_snapshot.programmes.values() for d in p.decisions)
    known_ats = [None, recorded - dt.timedelta(seconds=1), recorded + dt.timedelta(days=400)]
    answers = _answers(new_snapshot, known_ats)
    assert answers == _answers(migrated, known_ats)
    assert answers == _answers(_legacy(migrated), known_ats)
    # The day rule fails a programme below the standard only on days from 2027 on.
    below = [a for a in answers if any(r.code is rules.ReasonCode.PROGRAMME_BELOW_CARE_STANDARD for r in a[4])]
    assert all(r.on >= dt.date(2027, 1, 1) for a in below for r in a[4] if r.code is rules.ReasonCode.PROGRAMME_BELOW_CARE_STANDARD)


@pytest.mark.parametrize("table", list(VERSIONS) + ["care_standard"])
async def test_versions_cannot_be_updated_or_deleted(engine: Any, table: str) -> None:
    await import_document(engine, encode(document()), OPERATOR)
    async with writing(engine) as writer:
        await writer.execute("INSERT INTO care_standard (in_force_from, strict_from, reason, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?)",
                             dt.date(2026, 1, 1), dt.date(2027, 1, 1), "test", dt.datetime.now(dt.timezone.utc), "test")
    before = await snapshot(engine)
    for statement in (f"UPDATE {table} SET recorded_by = 'someone else'", f"DELETE FROM {table}"):
        with pytest.raises(Exception, match="append-only"):
            async with writing(engine) as writer:
                await writer.execute(statement)
    assert await snapshot(engine) == before
