"""While the database is away or locked: clear 503s with Retry-After, nothing half-done, and recovery without a restart.

On PostgreSQL the test stops a cluster of its own under a running server; on SQLite another
process holds the file's write lock for longer than the busy timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import AsyncIterator, Iterator

import httpx
import pytest

from registry.services.imports.plan import import_document
from registry.services.sql import reading
from registry.settings import Settings
from tests.conftest import BACKEND
from tests.functional.conftest import open_session
from tests.functional.helpers import BASE_DOCUMENT, OPERATOR, encode
from tests.functional.staff import add_staff, csrf_of, sign_in, staff_app
from tests.support import private_postgres
from tests.support.server import ROOT, RunningRegistry, running_registry

CLAIM = {"programme_code": "P-000045", "coach_registration_number": "C-000123", "service_date": "2026-09-01"}
PAGE = {"Accept": "text/html"}


def assert_unavailable(response: httpx.Response) -> None:
    """A 503 problem that tells the client when to come back."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["status"] == 503 and body["type"].endswith("/unavailable"), body


def assert_unavailable_page(response: httpx.Response) -> None:
    """The same for a person: a page in Dutch, not a stack trace."""
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert response.headers["content-type"].startswith("text/html")
    assert "Tijdelijk niet beschikbaar" in response.text and "Traceback" not in response.text


# --- PostgreSQL: the server's database stops and starts again ----------------------------------------------


@pytest.fixture
def cluster() -> Iterator[private_postgres.PrivatePostgres]:
    """A PostgreSQL of our own, to stop without touching the shared one."""
    if BACKEND != "postgresql" or not private_postgres.available():
        pytest.skip("stops a PostgreSQL cluster of its own (PostgreSQL pass, server binaries needed)")
    cluster = private_postgres.PrivatePostgres()
    try:
        cluster.start()
        subprocess.run(["psql", "-q", cluster.url(), "-c", "CREATE DATABASE registry"], check=True, capture_output=True)
        yield cluster
    finally:
        cluster.close()


@contextlib.contextmanager
def served(cluster: private_postgres.PrivatePostgres, tmp_path: Path) -> Iterator[tuple[RunningRegistry, Path]]:
    """A migrated, seeded registry serving from the cluster; and its log file."""
    data = tmp_path / "data"
    data.mkdir()
    url = cluster.url("registry")
    migrate = subprocess.run([sys.executable, "-m", "registry.cli", "migrate"], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "REGISTRY_DATABASE_URL": url, "REGISTRY_DATA_DIR": str(data)})
    assert migrate.returncode == 0, migrate.stderr
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(BASE_DOCUMENT))
    with running_registry(url, data) as registry:
        registry.command("import", str(seed))
        yield registry, next(tmp_path.glob("server-*.log"))


def test_a_stopped_postgresql_gives_503s_and_the_registry_recovers_when_it_returns(
        cluster: private_postgres.PrivatePostgres, tmp_path: Path) -> None:
    with served(cluster, tmp_path) as (registry, log_path):
        credentials = registry.new_client("Zorgverzekeraar Test")
        bearer = {"Authorization": f"Bearer {registry.token(credentials)}"}
        http = httpx.Client(base_url=registry.base_url, timeout=30)
        before = http.post("/api/v1/verifications", json=CLAIM, headers=bearer)
        assert before.status_code == 200 and before.json()["accredited"] is True

        cluster.kill()
        assert_unavailable(http.post("/api/v1/verifications", json=CLAIM, headers=bearer))
        assert_unavailable(http.post("/oauth/token", data={"grant_type": "client_credentials"},
                                     auth=(credentials["client_id"], credentials["client_secret"])))
        ready = http.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["database"] == "unreachable"
        # A page that reads the database says the register is away; the sign-in form itself needs no database.
        assert_unavailable_page(http.get("/programmas/P-000045", headers=PAGE))
        assert http.get("/admin/inloggen", headers=PAGE).status_code == 200
        # Public search answers from memory meanwhile (the last state it knew); a detail needs the database.
        found = http.get("/api/v1/programmes", params={"q": "Samen Rookvrij"})
        assert found.status_code == 200 and [item["code"] for item in found.json()["items"]] == ["P-000045"]
        assert_unavailable(http.get("/api/v1/programmes/P-000045"))

        cluster.start()
        deadline = time.monotonic() + 30
        while http.get("/health/ready").status_code != 200:
            assert time.monotonic() < deadline, "not ready 30 s after the database came back"
            time.sleep(0.1)
        answers = [http.post("/api/v1/verifications", json=CLAIM, headers=bearer) for _ in range(5)]
        assert [answer.status_code for answer in answers] == [200] * 5, (answers[0].text, log_path.read_text()[-3000:])
        assert answers[-1].json()["accredited"] is True
        # Changes made elsewhere after the outage still reach this instance's answers within a second.
        suspension = tmp_path / "suspension.json"
        suspension.write_text(json.dumps({"decisions": [{"subject": "coach", "code": "C-000123", "kind": "suspend", "from": "2026-08-01",
                                                         "reference": "SKZ-2026-0777", "reason": "Onderzoek"}]}))
        registry.command("import", str(suspension))
        recorded = time.monotonic()
        while (answer := http.post("/api/v1/verifications", json=CLAIM, headers=bearer)).json()["accredited"]:
            assert answer.status_code == 200, answer.text
            assert time.monotonic() - recorded < 2.0, ("a decision recorded after the outage was not used within 2 s", log_path.read_text()[-3000:])
            time.sleep(0.05)
    log = log_path.read_text()
    # The background loops say once that the database went away and once that it came back, not four times a second.
    assert log.count("verification index catch-up: the database cannot be reached") == 1, log[-3000:]
    assert "verification index catch-up: the database is reachable again" in log, log[-3000:]
    assert "listening for changes again (LISTEN registry_changes on a new connection)" in log, log[-3000:]
    assert "unhandled error" not in log, log[-5000:]


# --- SQLite: another process holds the write lock past the busy timeout -------------------------------------


@contextlib.asynccontextmanager
async def write_lock_held(settings: Settings) -> AsyncIterator[None]:
    """Another process's write transaction on the file, until the block ends."""
    holder = sqlite3.connect(settings.database_url[len("sqlite:///"):], isolation_level=None, check_same_thread=False, timeout=30)
    try:
        # Taken from a thread: the app runs on this test's event loop, and a write of its own in flight
        # (a rate-limit sync, say) must be able to finish while we wait for the lock.
        await asyncio.to_thread(holder.execute, "BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def sqlite_connections() -> int:
    """aiosqlite connections open in this process: each has a thread of its own."""
    return sum(1 for thread in threading.enumerate() if "_connection_worker_thread" in thread.name)


async def assert_none_left_open(before: int) -> None:
    """Every connection opened for a write that gave up is closed again (a leaked one also keeps the process from exiting)."""
    deadline = asyncio.get_running_loop().time() + 3
    while sqlite_connections() > before:
        assert asyncio.get_running_loop().time() < deadline, f"{sqlite_connections() - before} SQLite connections left open"
        await asyncio.sleep(0.05)


@pytest.fixture
def impatient(settings: Settings) -> Settings:
    """Settings that give up waiting for the SQLite write lock after a second."""
    if BACKEND != "sqlite":
        pytest.skip("the SQLite write lock")
    return replace(settings, sqlite_busy_timeout_seconds=1.0)


async def test_a_verification_that_cannot_be_stored_gets_503_and_is_not_kept(impatient: Settings) -> None:
    async with open_session(impatient) as session:
        await import_document(session.engine, encode(BASE_DOCUMENT), OPERATOR)
        await session.recorded()
        bearer = await session.bearer()
        before = sqlite_connections()
        async with write_lock_held(impatient):
            refused = await session.http.post("/api/v1/verifications", json=CLAIM, headers=bearer)
            # Reading needs no write lock: the public register still answers.
            assert (await session.http.get("/api/v1/programmes/P-000045")).status_code == 200
        assert_unavailable(refused)
        await assert_none_left_open(before)
        answered = await session.http.post("/api/v1/verifications", json=CLAIM, headers=bearer)
        assert answered.status_code == 200 and answered.json()["accredited"] is True
        async with reading(session.engine) as reader:
            stored = await reader.fetch_all("SELECT verification_id FROM verification")
        # Only the answer that was given is on record: an insurer holding a receipt can always read it back.
        assert [row["verification_id"] for row in stored] == [answered.json()["verification_id"]]


async def test_staff_forms_sent_while_the_file_is_locked_come_back_with_the_input_and_change_nothing(impatient: Settings) -> None:
    async with staff_app(impatient) as (app, editor):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(BASE_DOCUMENT), OPERATOR)
        await sign_in(editor, "editor")
        form = await editor.get("/admin/organisaties/O-000020/wijzigen")
        fields = {"csrf_token": csrf_of(form.text), "version": re.search(r'name="version" value="(\d+)"', form.text).group(1),
                  "name": "Instituut voor Rookvrije Zorg Nederland", "kvk_number": "", "agb_code": "", "city": "Zeist"}
        suspension = {"csrf_token": fields["csrf_token"], "kind": "suspend", "from": "01-08-2026", "until": "",
                      "reference": "SKZ-2026-0777", "reason": "Onderzoek naar klachten"}
        async with reading(app.state.api.engine) as reader:
            before = await reader.fetch_one("SELECT (SELECT COUNT(*) FROM decision) AS decisions, (SELECT COUNT(*) FROM audit_event) AS events")
        connections = sqlite_connections()
        async with write_lock_held(impatient):
            edit = await editor.post("/admin/organisaties/O-000020/wijzigen", data=fields, headers=PAGE)
            decision = await editor.post("/admin/coaches/C-000123/besluiten", data=suspension, headers=PAGE)
        await assert_none_left_open(connections)
        for page in (edit, decision):
            assert page.status_code == 503 and page.headers["retry-after"] == "5"
            assert "Niet opgeslagen: het register kan zijn database niet bereiken" in page.text
        # What the staff member typed is still in the form, ready to send again.
        assert 'value="Instituut voor Rookvrije Zorg Nederland"' in edit.text
        assert 'value="SKZ-2026-0777"' in decision.text and "Onderzoek naar klachten" in decision.text
        async with reading(app.state.api.engine) as reader:
            row = await reader.fetch_one("SELECT name, version FROM organisation WHERE code = 'O-000020'")
            after = await reader.fetch_one("SELECT (SELECT COUNT(*) FROM decision) AS decisions, (SELECT COUNT(*) FROM audit_event) AS events")
        assert row["name"] == "Instituut voor Rookvrije Zorg" and str(row["version"]) == fields["version"] and after == before
        # The same forms, sent again once the lock is gone, go through: the staff member loses nothing.
        saved = await editor.post("/admin/organisaties/O-000020/wijzigen", data=fields, headers=PAGE)
        recorded = await editor.post("/admin/coaches/C-000123/besluiten", data=suspension, headers=PAGE)
        assert saved.status_code == 303 and recorded.status_code == 303, (saved.text, recorded.text)
        async with reading(app.state.api.engine) as reader:
            row = await reader.fetch_one("SELECT name FROM organisation WHERE code = 'O-000020'")
        assert row["name"] == "Instituut voor Rookvrije Zorg Nederland"
