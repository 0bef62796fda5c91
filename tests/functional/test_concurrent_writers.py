"""20 writers x 20 writes at once, each on an engine of its own: nothing locked out, nothing lost."""

from __future__ import annotations

from typing import Any

from registry.services.imports.plan import import_document
from tests.conftest import BACKEND
from tests.functional.helpers import OPERATOR, encode
from tests.functional.writers_workload import counts, problems, run_writers, seed_document

WRITERS = 20
WRITES = 20


async def test_twenty_concurrent_writers_lose_nothing_and_are_never_locked_out(database_url: str, engine: Any) -> None:
    await import_document(engine, encode(seed_document(WRITERS)), OPERATOR)
    before = await counts(engine)
    results, seconds = await run_writers(database_url, WRITERS, WRITES)

    errors = [error for result in results for error in result.errors]
    assert not [error for error in errors if "locked" in error], errors[:5]
    assert errors == []
    # Every write was eventually acknowledged (a shared edit that met a conflict was resubmitted).
    assert sum(result.acknowledged for result in results) == WRITERS * WRITES
    assert await problems(engine, results, before) == []
    # The shared record really was contended: some submissions were based on a version already replaced.
    conflicts = sum(result.conflicts for result in results)
    assert conflicts > 0
    print(f"\n{BACKEND}: {WRITERS * WRITES} writes by {WRITERS} writers in {seconds:.2f} s "
          f"({WRITERS * WRITES / seconds:.0f} writes/s), {conflicts} edit conflicts resubmitted")
