"""Crash durability: record decisions, SIGKILL everything at random moments, restart, count what was lost (must be 0).

Each round starts `registry serve` and a writer process, records coach grants through the staff
decision form (two signed-in browsers over HTTP) and through the import service directly, and
SIGKILLs the server, the writer and, on PostgreSQL, the database's postmaster with all its
backends, in random order, a random while after every writer has had a write acknowledged. After the
restart every acknowledged decision must be stored with its audit event and the audit chain must
verify. See tests/support/crash.py.

    .venv/bin/python bench/crash.py                              # SQLite (WAL, synchronous=FULL), 20 rounds
    .venv/bin/python bench/crash.py --engine postgresql          # a private PostgreSQL cluster, killed every round
    .venv/bin/python bench/crash.py --engine both --rounds 50

PostgreSQL needs the server binaries (initdb, postgres; /usr/lib/postgresql/*/bin) to start a cluster
of its own; without them it uses a new database on --postgres-url and kills only the registry's processes.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support import private_postgres  # noqa: E402
from tests.support.crash import CrashExperiment, RoundResult  # noqa: E402


async def _admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def row(result: RoundResult) -> str:
    recovery = f"{result.database_recovery_seconds:.2f}" if result.database_recovery_seconds is not None else "-"
    return (f"{result.number:>5}{result.acknowledged_http:>7}{result.acknowledged_service:>9}{result.acknowledged_total:>8}"
            f"{result.found:>8}{len(result.lost):>6}{result.unacknowledged_present:>10}{result.server_start_seconds:>10.2f}{recovery:>10}"
            f"{'  ' + '; '.join(result.problems()[:3]) if result.problems() else ''}")


def run(engine: str, args: argparse.Namespace) -> bool:
    """Every round of one engine; True when nothing acknowledged was lost and nothing else went wrong."""
    workdir = Path(tempfile.mkdtemp(prefix=f"registry-crash-{engine}-"))
    shared = None
    if engine == "postgresql" and not private_postgres.available():
        name = f"registry_crash_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(args.postgres_url, f'CREATE DATABASE "{name}"'))
        shared = args.postgres_url.rsplit("/", 1)[0] + "/" + name
        print("no PostgreSQL server binaries: killing only the registry's processes, on the shared server")
    started = time.monotonic()
    problems: list[str] = []
    try:
        with CrashExperiment(workdir, engine, args.seed, shared, args.http_writers, args.max_delay) as experiment:
            what = "server, writer" + (" and PostgreSQL (private cluster)" if experiment.postgres else "")
            print(f"\n{engine}: {args.rounds} rounds, killing {what} with SIGKILL; work directory {workdir}")
            print(f"{'round':>5}{'http':>7}{'service':>9}{'acked':>8}{'found':>8}{'lost':>6}{'in-flight':>10}{'start s':>10}{'db rec s':>10}")
            for _ in range(args.rounds):
                result = experiment.run_round()
                print(row(result), flush=True)
                problems += result.problems()
            audit = experiment.final_audit_verify()
        last = experiment.results[-1]
        seconds = time.monotonic() - started
        print(f"{engine}: rounds {len(experiment.results)}, acknowledged writes {last.acknowledged_total}, found {last.found}, "
              f"lost {len(last.lost)}, committed but not acknowledged {last.unacknowledged_present}; {audit}; {seconds:.0f} s")
    finally:
        if shared:
            asyncio.run(_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{shared.rsplit("/", 1)[1]}" WITH (FORCE)'))
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    for problem in problems[:20]:
        print(f"  PROBLEM: {problem}")
    return not problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--max-delay", type=float, default=1.0, help="longest wait, in seconds, after the first acknowledged writes")
    parser.add_argument("--http-writers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="admin URL of a shared server, used only without PostgreSQL's server binaries")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, SQLite file)")
    args = parser.parse_args()
    print(f"seed {args.seed}")
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    results = [run(engine, args) for engine in engines]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
