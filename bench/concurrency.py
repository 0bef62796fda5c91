"""Benchmark of concurrent writers through the service layer: writes/s, edit conflicts, errors, lost writes.

The workload of tests/functional/test_concurrent_writers.py with larger numbers, optionally spread
over several processes as several `registry serve` instances would be. Needs an empty database.

    .venv/bin/python bench/concurrency.py                                  # a new SQLite file
    .venv/bin/python bench/concurrency.py --writers 50 --writes 40 --processes 4
    .venv/bin/python bench/concurrency.py --database-url postgresql://postgres@127.0.0.1:5432/bench_writes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from registry import db  # noqa: E402
from registry.backup import RECORD_TABLES, table_counts  # noqa: E402
from registry.services.audit import Actor  # noqa: E402
from registry.services.imports.plan import import_document  # noqa: E402
from registry.services.sql import reading  # noqa: E402
from registry.settings import Settings  # noqa: E402
from tests.conftest import AUDIT_KEY_FILE  # noqa: E402
from tests.functional.writers_workload import KINDS, WriterResult, counts, problems, run_writers, seed_document  # noqa: E402


async def prepare(database_url: str, writers: int) -> dict[str, int]:
    """Migrate, refuse a database that holds records, seed the writers' records; counts before the run."""
    engine = db.bind(db.build_engine(Settings(database_url=database_url, audit_key_file=AUDIT_KEY_FILE)))
    await db.start(engine, pool_size=1)
    try:
        await db.migrate(engine)
        async with reading(engine) as reader:
            held = {name: count for name, count in (await table_counts(reader)).items() if name in RECORD_TABLES and count}
        if held:
            sys.exit(f"the database is not empty ({held}): give an empty one")
        await import_document(engine, json.dumps(seed_document(writers)), Actor.operator("bench"))
        return await counts(engine)
    finally:
        await db.stop(engine)


async def check(database_url: str, results: list[WriterResult], before: dict[str, int]) -> list[str]:
    engine = db.build_engine(Settings(database_url=database_url, audit_key_file=AUDIT_KEY_FILE))
    await db.start(engine, pool_size=1)
    try:
        return await problems(engine, results, before)
    finally:
        await db.stop(engine)


def _part(database_url: str, first: int, writers: int, writes: int) -> list[WriterResult]:
    return asyncio.run(run_writers(database_url, writers, writes, first))[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--writes", type=int, default=40, help="writes per writer")
    parser.add_argument("--processes", type=int, default=1, help="spread the writers over this many processes")
    args = parser.parse_args()
    database_url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='registry-bench-')) / 'registry.db'}"
    before = asyncio.run(prepare(database_url, args.writers))
    started = time.perf_counter()
    if args.processes == 1:
        results = _part(database_url, 0, args.writers, args.writes)
    else:
        # Each process gets a consecutive block of writer numbers, so every writer keeps its own coach.
        size = -(-args.writers // args.processes)
        blocks = [(first, min(size, args.writers - first)) for first in range(0, args.writers, size)]
        with ProcessPoolExecutor(len(blocks)) as pool:
            parts = pool.map(_part, [database_url] * len(blocks), [b[0] for b in blocks], [b[1] for b in blocks],
                             [args.writes] * len(blocks))
            results = [result for part in parts for result in part]
    seconds = time.perf_counter() - started
    acknowledged = sum(result.acknowledged for result in results)
    errors = [error for result in results for error in result.errors]
    found = asyncio.run(check(database_url, results, before))
    print(f"database           {database_url.split('@')[-1]}")
    print(f"writers            {args.writers} x {args.writes} writes in {args.processes} process(es)")
    print(f"acknowledged       {acknowledged} of {args.writers * args.writes} in {seconds:.2f} s = {acknowledged / seconds:.0f} writes/s")
    for kind in KINDS:
        waits = sorted(seconds for result in results for name, seconds in result.timings if name == kind)
        if waits:
            print(f"{kind:<18} s/write p50 {waits[len(waits) // 2]:.3f}  p99 {waits[int(len(waits) * 0.99)]:.3f}  max {waits[-1]:.3f}")
    print(f"edit conflicts     {sum(result.conflicts for result in results)} (resubmitted)")
    print(f"errors             {len(errors)} ({sum('locked' in error for error in errors)} 'database is locked')")
    print(f"lost or wrong      {len(found) - len(errors)}")
    for line in found[:10]:
        print(f"  {line}")


if __name__ == "__main__":
    main()
