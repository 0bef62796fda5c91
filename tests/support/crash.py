"""Crash durability: record decisions, SIGKILL the server, the writer and (own cluster) PostgreSQL, restart, find every acknowledged one.

Writers: staff in a browser (the decision form of `registry serve`, over HTTP; acknowledged = 303 to the
record page) and a process calling the import service directly (acknowledged = import_document
returned, see crash_writer). A round waits until every writer has an acknowledged write, lets them
run a random while longer, then kills all the processes at once in random order. After the restart
every acknowledged decision must be stored, with exactly one audit event naming its subject and
reference, and the audit chain must verify (`registry audit verify`). Servers and writers are
forked from a preloaded interpreter (tests.support.zygote) to restart in about a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from tests.support.crash_writer import COACHES, EDITOR, PASSWORD
from tests.support.private_postgres import PrivatePostgres
from tests.support.server import free_port, registry_environment
from tests.support.staff_http import StaffBrowser
from tests.support.zygote import Child, Zygote


@dataclass
class RoundResult:
    """What one kill-and-restart round found."""

    number: int
    acknowledged_http: int
    acknowledged_service: int
    acknowledged_total: int
    found: int
    lost: list[str]
    unacknowledged_present: int
    audit_problems: list[str]
    chain_broken: list[int]
    integrity: str
    server_start_seconds: float
    database_recovery_seconds: float | None
    durability: str
    refused: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Everything that must not happen: lost or refused writes, missing audit, a broken chain, a damaged file."""
        found = [f"lost {reference}" for reference in self.lost] + self.audit_problems + self.refused
        found += [f"audit chain broken at {event}" for event in self.chain_broken]
        return found + ([f"integrity check: {self.integrity}"] if self.integrity != "ok" else [])


class CrashExperiment:
    """One database, one server port, writers, and kill-and-restart rounds."""

    def __init__(self, workdir: Path, backend: str, seed: int = 0, database_url: str | None = None, http_writers: int = 2,
                 max_delay: float = 0.5):
        self.workdir = workdir
        self.random = random.Random(seed)
        self.http_writers = http_writers
        self.max_delay = max_delay
        self.postgres = PrivatePostgres() if backend == "postgresql" and database_url is None else None
        self.database_url = database_url or ("" if self.postgres else f"sqlite:///{workdir / 'registry.db'}")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.acknowledged: dict[str, str] = {}
        self.results: list[RoundResult] = []
        self.browsers: list[StaffBrowser] = []
        self._lock = threading.Lock()
        # Set just before the kills: a 5xx after it is a write cut short (PostgreSQL died first), not a refusal.
        self._killing = threading.Event()
        self._live: list[Child] = []
        self.zygote: Zygote | None = None

    def __enter__(self) -> "CrashExperiment":
        try:
            if self.postgres:
                self.database_url = self.postgres.url("registry")
            self.zygote = Zygote(self.env(), self.workdir / "zygote.log")
            if self.postgres:
                self.postgres.start()
                asyncio.run(_create_database(self.postgres.url(), "registry"))
            setup = self.zygote.spawn("crash_writer", ["setup"], self.workdir / "setup.log")
            assert setup.wait(timeout=300) == 0, setup.log_path.read_text()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self._live:
            process.kill()
        if self.zygote:
            self.zygote.close()
        for browser in self.browsers:
            browser.close()
        if self.postgres:
            self.postgres.close()

    def env(self) -> dict[str, str]:
        """The registry's environment; sign-ins are not what is tested here."""
        return registry_environment(self.database_url, self.workdir / "data", self.port, REGISTRY_LOGIN_RATE_LIMIT_PER_MINUTE="10000",
                                    PYTHONUNBUFFERED="1")  # a killed server keeps its last log lines

    def run_round(self) -> RoundResult:
        """Start everything, write, kill everything at a random moment, restart the database, check."""
        number = len(self.results) + 1
        assert self.zygote is not None, "use the experiment as a context manager"
        audit = self.zygote.spawn("registry", ["audit", "verify"], self.workdir / f"audit-{number}.log") if number > 1 else None
        started = time.monotonic()
        server = self.zygote.spawn("registry", ["serve", "--port", str(self.port)], self.workdir / f"server-{number}.log")
        writer_log = self.workdir / f"writer-{number}.log"
        writer = self.zygote.spawn("crash_writer", ["write", str(writer_log), f"S{number}"], self.workdir / f"writer-{number}.out")
        self._live = [server, writer]
        self._wait_ready(server)
        server_start = time.monotonic() - started
        if audit is not None:
            assert audit.wait() == 0, f"registry audit verify failed: {audit.log_path.read_text()}"
        counts = [0] * self.http_writers
        refused: list[str] = []
        stop = threading.Event()
        threads = [threading.Thread(target=self._post_decisions, args=(self._browser(i), number, i, counts, refused, stop))
                   for i in range(self.http_writers)]
        Path(f"{writer_log}.go").touch()
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while not (all(counts) and _lines(writer_log)) and not refused:
            assert time.monotonic() < deadline, f"writers made no progress; see {self.workdir}"
            assert writer.exit_code is None, f"the writer exited; see {writer.log_path}"
            time.sleep(0.01)
        time.sleep(self.random.uniform(0, self.max_delay))
        self._killing.set()
        victims = [server.kill, writer.kill, *([self.postgres.kill] if self.postgres else [])]
        self.random.shuffle(victims)
        for kill in victims:
            kill()
        self._live = []
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        self._killing.clear()
        service = [line.split() for line in _lines(writer_log)]
        with self._lock:
            self.acknowledged.update({reference: code for reference, code in service})
        recovery = self.postgres.start() if self.postgres else None
        result = asyncio.run(self._check(number, sum(counts), len(service), server_start, recovery))
        result.refused = refused
        self.results.append(result)
        return result

    def final_audit_verify(self) -> str:
        """`registry audit verify` once more after the last round: its last line."""
        assert self.zygote is not None
        audit = self.zygote.spawn("registry", ["audit", "verify"], self.workdir / "audit-final.log")
        assert audit.wait() == 0, f"registry audit verify failed: {audit.log_path.read_text()}"
        return audit.log_path.read_text().strip().splitlines()[-1]

    def _browser(self, index: int) -> StaffBrowser:
        """Writer `index`'s browser: signed in once, then the same session after every restart (sessions are in the database)."""
        if len(self.browsers) <= index:
            browser = StaffBrowser(self.base_url)
            browser.sign_in(EDITOR, PASSWORD)
            self.browsers.append(browser)
        else:
            # A new connection pool: the old one's connections died with the server.
            old = self.browsers[index]
            self.browsers[index] = old.at(self.base_url)
            old.close()
        return self.browsers[index]

    def _post_decisions(self, browser: StaffBrowser, number: int, index: int, counts: list[int], refused: list[str],
                        stop: threading.Event) -> None:
        for sequence in itertools.count():
            if stop.is_set():
                return
            code, reference = COACHES[(sequence + index) % len(COACHES)], f"H{number}.{index}-{sequence}"
            try:
                response = browser.post_form(f"/admin/coaches/{code}/besluiten", kind="grant", valid_from="01-01-2026",
                                             reference=reference, reason="crash test")
            except httpx.HTTPError:
                return  # the server was killed; this write was not acknowledged
            if response.status_code == 303 and response.headers.get("location") == f"/admin/coaches/{code}?gelukt=grant&besluit={reference}":
                with self._lock:
                    self.acknowledged[reference] = code
                counts[index] += 1
            elif response.status_code >= 500 and self._killing.is_set():
                return  # the database went first; this write was not acknowledged
            else:
                refused.append(f"refused {reference}: {response.status_code} {response.headers.get('location', '')}")
                return

    def _wait_ready(self, server: Child, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert server.exit_code is None, f"the server exited; see {server.log_path}"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base_url}/health/ready", timeout=5).status_code == 200:
                    return
            assert time.monotonic() < deadline, f"the server was not ready within {timeout} s; see {server.log_path}"
            time.sleep(0.05)

    async def _check(self, number: int, http: int, service: int, server_start: float, recovery: float | None) -> RoundResult:
        """Read back every decision and its audit event from the restarted database."""
        import os

        from registry import db
        from registry.services.audit import verify_chain
        from registry.services.sql import reading
        from registry.settings import Settings

        engine = db.build_engine(Settings.from_env({**os.environ, "REGISTRY_DATABASE_URL": self.database_url}))  # not bound: this process's tables stay as they were
        await db.start(engine, pool_size=1)
        try:
            async with reading(engine) as reader:
                decisions = await reader.fetch_all(
                    "SELECT d.id, d.reference, c.registration_number AS code FROM decision d "
                    "LEFT JOIN coach c ON c.id = d.subject_id AND d.subject_kind = 'coach'")
                events = await reader.fetch_all(
                    "SELECT subject_kind, subject_code, after_state FROM audit_event WHERE action = ?", "registry:decision:record")
                _, broken = await verify_chain(reader)
                integrity, durability = "ok", []
                if db.is_sqlite(engine):
                    integrity = (await reader.fetch_one("PRAGMA quick_check"))["quick_check"]
                    # journal_mode is the file's; synchronous is per connection, set by the engine the server uses too.
                    for pragma in ("journal_mode", "synchronous"):
                        durability.append(f"{pragma}={(await reader.fetch_one(f'PRAGMA {pragma}'))[pragma]}")
                else:
                    for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                        durability.append(f"{setting}={(await reader.fetch_one(f'SHOW {setting}'))[setting]}")
        finally:
            await db.stop(engine)
        stored = {row["reference"]: row for row in decisions}
        audited: dict[str, list[tuple[dict, dict]]] = {}
        for event in events:
            after = json.loads(event["after_state"]) if isinstance(event["after_state"], str) else event["after_state"]
            audited.setdefault(after["reference"], []).append((event, after))
        lost = sorted(reference for reference, code in self.acknowledged.items()
                      if reference not in stored or stored[reference]["code"] != code)
        audit_problems = []
        for reference, row in stored.items():
            found = audited.pop(reference, [])
            if len(found) != 1:
                audit_problems.append(f"decision {reference} has {len(found)} audit events")
            elif found[0][1]["id"] != row["id"] or (found[0][0]["subject_kind"], found[0][0]["subject_code"]) != ("coach", row["code"]):
                audit_problems.append(f"the audit event of decision {reference} names another decision or subject")
        audit_problems += [f"audit event for {reference}, which is not stored" for reference in audited]
        found_total = len(self.acknowledged) - len(lost)
        return RoundResult(number, http, service, len(self.acknowledged), found_total, lost, len(stored) - found_total, audit_problems,
                           broken, integrity, server_start, recovery, " ".join(durability))


def _lines(path: Path) -> list[str]:
    """Whole lines of a log another process appends to."""
    if not path.exists():
        return []
    text = path.read_text()
    return text[: text.rfind("\n") + 1].splitlines()


async def _create_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
