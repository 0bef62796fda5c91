"""What rate limiting many addresses costs an idle server: the limiter's sharing loop, measured in this process.

Every one of --addresses distinct addresses makes one request (as a crawl or a flood from many
addresses would), then nothing more happens for --seconds: the CPU this process spends meanwhile
(the sharing loop and its database driver) is what those idle buckets cost. Also prints how long
one sync of them all takes and how many counter rows each idle sync writes.

    .venv/bin/python bench/limiter.py --addresses 5000 --seconds 5
    .venv/bin/python bench/limiter.py --database-url postgresql://postgres@127.0.0.1:5432/bench_limiter
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from registry import db
from registry.services.rate_limits import RateLimiter
from registry.services.sql import reading
from registry.settings import Settings

COUNTERS = "SELECT COUNT(*) AS n, COALESCE(SUM(used), 0) AS used FROM rate_limit_counter"


async def counters(engine: object) -> tuple[int, int]:
    async with reading(engine) as reader:  # type: ignore[arg-type]
        row = await reader.fetch_row(COUNTERS)
    return int(row["n"]), int(row["used"])


async def measure(database_url: str, addresses: int, seconds: float) -> None:
    engine = db.bind(db.build_engine(Settings(database_url=database_url)))
    await db.migrate(engine)
    await db.start(engine, pool_size=4)
    limiter = RateLimiter(engine)
    try:
        # Start well inside a minute, so the idle span does not cross into the next window.
        into = time.time() % 60
        if into > 60 - seconds - 5:
            await asyncio.sleep(60 - into + 0.5)
        for number in range(addresses):
            limiter.take(f"public:10.{number // 65536}.{number // 256 % 256}.{number % 256}", 1, 1200)
        started = time.perf_counter()
        await limiter.sync()
        first_sync = time.perf_counter() - started
        await limiter.start()
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        rows, used = await counters(engine)
    finally:
        await limiter.stop()
        await db.stop(engine)
    engine_name = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"{engine_name}, {addresses:,} addresses with one request each, then idle for {wall:.1f} s")
    print(f"first sync of all buckets: {first_sync * 1000:.0f} ms; counter rows {rows:,} holding {used:,} requests")
    print(f"CPU while idle: {cpu:.3f} s in {wall:.1f} s ({cpu / wall * 100:.1f} % of one core; {cpu / wall * 5:.3f} s per 5 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a database to use (default: a new SQLite file)")
    parser.add_argument("--addresses", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    database_url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='registry-limiter-')) / 'registry.db'}"
    asyncio.run(measure(database_url, args.addresses, args.seconds))


if __name__ == "__main__":
    main()
