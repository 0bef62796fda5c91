"""Two `registry serve` instances on one database behave as one registry: sessions, rate limits, verification answers.

Runs on both engines: on PostgreSQL as in production behind a load balancer; on SQLite as two
processes on one file, which the registry supports (data_version watch, counters in the file).
Both instances share the data directory (one signing key) and the public URL (token issuer and
audience), as instances behind one address do.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from registry import db
from registry.services.imports.plan import import_document
from registry.services.rate_limits import WINDOW_SECONDS
from registry.services.sql import reading
from registry.services.staff.clients import create_client
from registry.services.staff.users import create_user
from registry.services.verification.signing import KeyRing
from registry.settings import Settings
from tests.conftest import AUDIT_KEY_FILE, fresh_database
from tests.functional.backup_support import open_engine
from tests.functional.helpers import BASE_DOCUMENT, OPERATOR, encode
from tests.support.server import ROOT, RunningRegistry, free_port, registry_environment
from tests.support.staff_http import PASSWORD, StaffBrowser

LIMIT = 6
CLAIM = {"programme_code": "P-000045", "coach_registration_number": "C-000123", "service_date": "2026-09-01"}


@dataclass
class Instances:
    """Instance A, instance B, and a billing system's credentials."""

    a: RunningRegistry
    b: RunningRegistry
    credentials: dict[str, str]
    logs: Path


async def _seed(database_url: str) -> dict[str, str]:
    engine = db.build_engine(Settings(database_url=database_url, audit_key_file=AUDIT_KEY_FILE))  # not bound: this process's tables stay as they were
    await db.start(engine, pool_size=1)
    try:
        await import_document(engine, encode(BASE_DOCUMENT), OPERATOR)
        await create_user(engine, OPERATOR, "editor", PASSWORD, "editor", display_name="Editor Tester")
        client = await create_client(engine, OPERATOR, "Zorgverzekeraar Test")
        return {"client_id": client.client_id, "client_secret": client.client_secret}
    finally:
        await db.stop(engine)


@contextlib.contextmanager
def _serving(env: dict[str, str], ports: list[int], logs: Path) -> Iterator[list[str]]:
    """Several servers on one environment, started side by side; their base URLs once all are ready."""
    processes = []
    try:
        for port in ports:
            with open(logs / f"server-{port}.log", "w") as log:
                processes.append(subprocess.Popen([sys.executable, "-m", "registry.cli", "serve", "--port", str(port)], env=env,
                                                  cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        deadline = time.monotonic() + 120
        for process, url in zip(processes, urls, strict=True):
            while True:
                assert process.poll() is None, f"a server exited; see {logs}"
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{url}/health/ready").status_code == 200:
                        break
                assert time.monotonic() < deadline, f"the servers were not ready; see {logs}"
                time.sleep(0.05)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def instances(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instances]:
    """Two instances on one fresh database holding the base document, an editor and a billing system."""
    directory = tmp_path_factory.mktemp("instances")
    with fresh_database(database_template, directory) as url:
        credentials = asyncio.run(_seed(url))
        ports = [free_port(), free_port()]
        env = registry_environment(url, directory / "data", ports[0], REGISTRY_LOGIN_RATE_LIMIT_PER_MINUTE=str(LIMIT),
                                   REGISTRY_PUBLIC_RATE_LIMIT_PER_MINUTE=str(LIMIT),
                                   # Loopback plays the proxy in front of both, so each test browser has an address of its own.
                                   REGISTRY_TRUSTED_PROXIES="127.0.0.1",
                                   # One step per decision, so the test times how soon the other instance follows a recorded suspension.
                                   REGISTRY_FOUR_EYES="off")
        # The signing key exists before either instance starts, so both load the same one.
        KeyRing.load_or_create(Settings.from_env(env).key_file)
        with _serving(env, ports, directory) as (a, b):
            yield Instances(RunningRegistry(a, env), RunningRegistry(b, env), credentials, directory)


def _fresh_window(needed: float) -> int:
    """Rate limits count per clock minute: start where the minute will not turn over during the test; that minute."""
    into = time.time() % WINDOW_SECONDS
    if into > WINDOW_SECONDS - needed:
        time.sleep(WINDOW_SECONDS - into + 0.2)
    return int(time.time()) // WINDOW_SECONDS * WINDOW_SECONDS


def _shared_count(database_url: str, bucket: str, window: int) -> int:
    """What the instances have shared in the database for this bucket and minute."""

    async def read() -> int:
        async with open_engine(database_url, pool_size=1) as engine, reading(engine) as reader:
            row = await reader.fetch_one("SELECT used FROM rate_limit_counter WHERE bucket = ? AND window_start = ?", bucket, window)
        return int(row["used"]) if row else 0

    return asyncio.run(read())


def _wait_until_shared(database_url: str, bucket: str, window: int, count: int) -> None:
    """Until the instances' shared count for the bucket reaches `count` (they share every 0.25 s, later on a busy machine)."""
    while _shared_count(database_url, bucket, window) < count:
        assert time.time() < window + WINDOW_SECONDS, f"{bucket}: {count} not shared before the minute ended"
        time.sleep(0.05)


def _wait_for_a_share_after_now(instance: RunningRegistry, address: str, window: int) -> None:
    """Until the instance has shared, and so read back, every count at least once from now on.

    A request from a probe address of its own goes out with the instance's next share; once a second
    probe has been shared too, the share that carried the first one (and read back every other bucket
    with it) has ended.
    """
    url, probe = instance.env["REGISTRY_DATABASE_URL"], StaffBrowser(instance.base_url, address=address)
    before = _shared_count(url, f"public:{address}", window)
    for shared in (before + 1, before + 2):
        assert probe.get("/").status_code == 200
        _wait_until_shared(url, f"public:{address}", window, shared)


def test_a_session_started_on_one_instance_holds_on_the_other_and_ends_on_both(instances: Instances) -> None:
    on_a = StaffBrowser(instances.a.base_url, address="192.0.2.61")
    on_a.sign_in("editor")
    on_b = on_a.at(instances.b.base_url)
    dashboard = on_b.get("/admin")
    assert dashboard.status_code == 200 and "Editor Tester" in dashboard.text
    signed_out = on_b.post_form("/admin/uitloggen")
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/admin/inloggen?uitgelogd=1"
    assert on_b.cookie is None
    # Instance A still holds nothing of its own: the session is gone for it too.
    away = on_a.get("/admin")
    assert away.status_code == 303 and away.headers["location"].startswith("/admin/inloggen")


@pytest.mark.parametrize("limit", ["public", "login"])
def test_rate_limits_hold_across_instances(instances: Instances, limit: str) -> None:
    address = {"public": "198.51.100.71", "login": "198.51.100.72"}[limit]
    probes = {"public": ("198.51.100.81", "198.51.100.82"), "login": ("198.51.100.83", "198.51.100.84")}[limit]
    browsers = {"a": StaffBrowser(instances.a.base_url, address=address)}
    if limit == "login":
        browsers["a"].get("/admin/inloggen")  # a visitor session and its CSRF token, valid on both instances
    browsers["b"] = browsers["a"].at(instances.b.base_url)

    def attempt(instance: str) -> int:
        if limit == "public":
            return browsers[instance].get("/api/v1/coaches/C-000123").status_code
        return browsers[instance].post_form("/admin/inloggen", username="editor", password="not the password").status_code

    allowed = {"public": 200, "login": 400}[limit]
    url, bucket = instances.a.env["REGISTRY_DATABASE_URL"], f"{limit}:{address}"
    window = _fresh_window(needed=20)
    half = LIMIT // 2
    assert [attempt("a") for _ in range(half)] == [allowed] * half
    _wait_until_shared(url, bucket, window, half)
    assert [attempt("b") for _ in range(LIMIT - half)] == [allowed] * (LIMIT - half)
    _wait_until_shared(url, bucket, window, LIMIT)
    for instance, probe in zip((instances.a, instances.b), probes, strict=True):
        _wait_for_a_share_after_now(instance, probe, window)
    # Alone, each instance has used only half the limit and would let these through.
    assert attempt("a") == 429
    assert attempt("b") == 429


def test_decisions_recorded_on_one_instance_change_the_answers_of_the_other_within_a_second(instances: Instances) -> None:
    token = instances.b.token(instances.credentials)
    verifier = httpx.Client(base_url=instances.b.base_url, headers={"Authorization": f"Bearer {token}"})

    def accredited() -> bool:
        response = verifier.post("/api/v1/verifications", json=CLAIM)
        assert response.status_code == 200, response.text
        return response.json()["accredited"]

    assert accredited()
    editor = StaffBrowser(instances.a.base_url, address="192.0.2.62")
    editor.sign_in("editor")
    decisions = [({"kind": "suspend", "from": "01-08-2026", "until": "31-12-2026", "reference": "SKZ-2026-0900", "reason": "Onderzoek"}, False),
                 ({"kind": "lift", "suspension": "SKZ-2026-0900", "date": "15-08-2026", "reference": "SKZ-2026-0901"}, True)]
    for fields, expected in decisions:
        sent = time.monotonic()
        recorded = editor.post_form("/admin/coaches/C-000123/besluiten", **fields)
        acknowledged = time.monotonic()
        assert recorded.status_code == 303 and recorded.headers["location"].startswith("/admin/coaches/C-000123?gelukt=")
        while accredited() != expected:
            assert time.monotonic() - acknowledged < 5, f"instance B still answers from before the {fields['kind']}"
            time.sleep(0.005)
        delay = time.monotonic() - acknowledged
        print(f"\n{fields['kind']}: recorded on A in {(acknowledged - sent) * 1000:.0f} ms; "
              f"B answered accordingly {delay * 1000:.0f} ms after A acknowledged it")
        assert delay < 1.0


def test_an_organisation_renamed_on_one_instance_is_found_by_the_next_search_on_the_other(instances: Instances) -> None:
    editor = StaffBrowser(instances.a.base_url, address="192.0.2.63")
    editor.sign_in("editor")
    form = editor.get("/admin/organisaties/O-000020/wijzigen")
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert form.status_code == 200 and version
    searches = itertools.count()

    def found_on_b(path: str) -> httpx.Response:
        # Each search from an address of its own, so the public limit does not decide how often B may be asked.
        n = next(searches)
        response = httpx.get(f"{instances.b.base_url}{path}", params={"q": "zeeland"},
                             headers={"X-Forwarded-For": f"10.63.{n // 250}.{n % 250 + 1}", "Accept": "text/html"})
        assert response.status_code == 200, response.text
        return response

    assert "Rookvrij Zeeland" not in found_on_b("/zoeken").text
    saved = editor.post_form("/admin/organisaties/O-000020/wijzigen", version=version.group(1), name="Kenniscentrum Rookvrij Zeeland",
                             city="Zeist")
    acknowledged = time.monotonic()
    assert saved.status_code == 303, saved.text
    while "Kenniscentrum Rookvrij Zeeland" not in found_on_b("/zoeken").text:
        assert time.monotonic() - acknowledged < 5, "instance B still searches the organisations from before the change"
        time.sleep(0.005)
    print(f"\nB's search found the new name {(time.monotonic() - acknowledged) * 1000:.0f} ms after A acknowledged it")
    assert time.monotonic() - acknowledged < 1.0
    assert "Kenniscentrum Rookvrij Zeeland" in found_on_b("/organisaties").text


def _kid(compact: str) -> str:
    """The key id in a compact JWS's header."""
    header = compact.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def test_a_key_rotation_reaches_every_running_instance_without_a_restart(instances: Instances) -> None:
    before = instances.a.token(instances.credentials)
    old_kid = _kid(before)
    instances.a.command("rotate-signing-key", "--lead-seconds", "3")
    upcoming = KeyRing.load(Settings.from_env(instances.a.env).key_file).upcoming
    assert upcoming is not None and upcoming.kid != old_kid
    new_kid = upcoming.kid
    # Published by both instances (each looks at the key file at most a second later) before anything is signed with it.
    time.sleep(1.2)
    for instance in (instances.a, instances.b):
        assert new_kid in {key["kid"] for key in httpx.get(f"{instance.base_url}/.well-known/jwks.json").json()["keys"]}
    assert _kid(instances.a.token(instances.credentials)) == old_kid, "the new key signs only once the lead has passed"
    # Then instance A's tokens carry the new key.
    deadline = time.monotonic() + 5
    while _kid(after := instances.a.token(instances.credentials)) != new_kid:
        assert time.monotonic() < deadline, "instance A still signs with the retired key"
        time.sleep(0.05)
    # Instance B accepts it at once (an unknown key id makes it read the file), and still accepts the old token.
    for token in (after, before):
        answer = httpx.post(f"{instances.b.base_url}/api/v1/verifications", json=CLAIM, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
    receipt = answer.json()["receipt"]
    jwks = httpx.get(f"{instances.a.base_url}/.well-known/jwks.json").json()
    assert {key["kid"] for key in jwks["keys"]} == {old_kid, new_kid}
    assert _kid(receipt) == new_kid
    assert "signing keys reloaded" in "".join(path.read_text() for path in instances.logs.glob("server-*.log"))
