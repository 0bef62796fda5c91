"""Acknowledged decisions survive SIGKILL of the server, of a writer and (PostgreSQL) of the database itself.

The short version of bench/crash.py (see tests/support/crash.py for how a round goes). On
PostgreSQL the test starts a cluster of its own to kill; without PostgreSQL's server binaries it
kills only the registry's processes, on a database of the shared server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import BACKEND, fresh_database
from tests.support import private_postgres
from tests.support.crash import CrashExperiment

ROUNDS = 2  # bench/crash.py runs as many as you like
pytestmark = pytest.mark.slow


@pytest.fixture
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """A database on the shared PostgreSQL when no cluster of our own can be started; else None (the experiment makes its own)."""
    if BACKEND != "postgresql" or private_postgres.available():
        yield None
        return
    with fresh_database(request.getfixturevalue("database_template"), tmp_path) as url:
        yield url


def test_no_acknowledged_decision_is_lost_when_everything_is_killed(tmp_path: Path, shared_database: str | None) -> None:
    with CrashExperiment(tmp_path, BACKEND, seed=2026, database_url=shared_database, max_delay=0.4) as experiment:
        for _ in range(ROUNDS):
            result = experiment.run_round()
            assert result.acknowledged_http and result.acknowledged_service, result
            assert not result.problems(), result.problems()
            assert result.durability in ("journal_mode=wal synchronous=2", "fsync=on synchronous_commit=on full_page_writes=on")
        assert experiment.final_audit_verify().startswith("audit chain intact")
        if experiment.postgres:
            assert experiment.postgres.crashes == ROUNDS
    last = experiment.results[-1]
    assert last.found == last.acknowledged_total > 2 * ROUNDS and last.lost == []
