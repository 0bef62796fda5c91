"""The `registry` command as operators and scripts use it: a real process on the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from registry.services.sql import reading
from tests.functional.helpers import document, snapshot

REGISTRY = [sys.executable, "-m", "registry.cli"]


def registry(database_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `registry ARGS` against the test database."""
    env = {**os.environ, "REGISTRY_DATABASE_URL": database_url}
    return subprocess.run([*REGISTRY, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture
def import_file(tmp_path: Path) -> Path:
    path = tmp_path / "register.json"
    path.write_text(json.dumps(document()))
    return path


def test_migrate_twice_is_harmless(database_url: str) -> None:
    for _ in range(2):
        done = registry(database_url, "migrate")
        assert done.returncode == 0, done.stderr
        assert "up to date" in done.stdout


async def test_import_then_verify_prints_the_verdict_object(database_url: str, import_file: Path, engine: Any) -> None:
    imported = registry(database_url, "import", str(import_file))
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["decisions_recorded"] == 4
    done = registry(database_url, "verify", "--programme", "p-000045", "--coach", "C-000123", "--date", "2026-03-14", "--end-date", "2026-05-01", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["accredited"] is False
    assert answer["reasons"] == [{"code": "COACH_SUSPENDED", "subject": "coach", "on": "2026-04-01"}]
    assert answer["coach"]["status"] == "suspended" and answer["coach"]["qualified"] is True
    assert answer["programme"]["status"] == "accredited" and "receipt" not in answer
    assert set(answer) == {
        "verification_id", "accredited", "reasons", "programme", "coach", "service_date", "service_end_date",
        "as_known_at", "checked_at", "data_version", "reference",
    }
    by_agb = json.loads(registry(database_url, "verify", "--programme", "P-000045", "--coach-agb", "87654321", "--date", "2026-03-14", "--json").stdout)
    assert by_agb["accredited"] is True and by_agb["reasons"] == []


def test_refused_import_exits_non_zero_and_names_each_path(database_url: str, tmp_path: Path) -> None:
    broken = document()
    broken["decisions"][1]["valid_until"] = "2020-01-01"
    broken["coaches"][0]["email"] = "not-an-address"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    done = registry(database_url, "import", str(path))
    assert done.returncode == 1
    assert "decisions[1].valid_until" in done.stderr and "coaches[0].email" in done.stderr
    assert "nothing was written" in done.stderr


async def test_refused_import_leaves_the_database_untouched(database_url: str, tmp_path: Path, engine: Any) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"coaches": [{"registration_number": "C-1", "initials": "A."}]}')
    assert registry(database_url, "import", str(path)).returncode == 1
    assert all(rows == [] for rows in (await snapshot(engine)).values())


def test_invalid_claim_exits_2_with_the_field(database_url: str) -> None:
    done = registry(database_url, "verify", "--programme", "P-1", "--coach", "C-1", "--date", "14-03-2026")
    assert done.returncode == 2 and "service_date" in done.stderr


async def test_create_user_stores_only_an_argon2_hash(database_url: str, engine: Any) -> None:
    password = "correct horse battery staple"
    done = registry(database_url, "create-user", "Marieke", "--role", "editor", "--password-stdin", stdin=password + "\n")
    assert done.returncode == 0, done.stderr
    async with reading(engine) as reader:
        user = await reader.fetch_one("SELECT * FROM staff_user WHERE username = 'marieke'")
        event = await reader.fetch_one("SELECT * FROM audit_event WHERE action = 'auth:staff_user:create'")
    assert user["role"] == "editor" and user["password_hash"].startswith("$argon2id$")
    assert password not in json.dumps({k: str(v) for k, v in user.items()})
    assert event is not None and password not in event["after_state"]
    again = registry(database_url, "create-user", "marieke", "--role", "admin", "--password-stdin", stdin=password + "\n")
    assert again.returncode == 1 and "already exists" in again.stderr
    short = registry(database_url, "create-user", "piet", "--role", "viewer", "--password-stdin", stdin="kort\n")
    assert short.returncode == 1 and "password" in short.stderr


def test_audit_verify_reports_an_intact_chain(database_url: str, import_file: Path) -> None:
    registry(database_url, "import", str(import_file))
    done = registry(database_url, "audit", "verify")
    assert done.returncode == 0 and "intact: 11 events" in done.stdout


def test_demo_is_deterministic_and_safe_to_run_twice(database_url: str) -> None:
    first = registry(database_url, "demo", "--coaches", "60")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["created"]["coaches"] == 60 and report["decisions_recorded"] > 60
    second = json.loads(registry(database_url, "demo", "--coaches", "60").stdout)
    assert second["decisions_recorded"] == 0 and second["decisions_skipped"] == report["decisions_recorded"]
    assert sum(second["created"].values()) == 0 and sum(second["updated"].values()) == 0
