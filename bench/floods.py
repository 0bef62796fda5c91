"""Floods of the staff sign-in page against `registry serve` while verifications run, from other processes.

Runs verifications (and /health/live) quietly first, then again while cookieless GETs of /admin/inloggen
arrive at full speed from one address, and prints their p99 in both, the flood's own rate and how many
staff_session rows the flood left (none: the page writes nothing until a form needs it). Like the other
benchmarks it lifts the public per-address limit, so the flood is served in full; with --address-limit
the registry's default limit applies and the flood is mostly answered 429. Needs `wrk` (Debian package `wrk`).

    .venv/bin/python bench/floods.py --coaches 10000                # SQLite
    .venv/bin/python bench/floods.py --coaches 10000 --address-limit
    .venv/bin/python bench/floods.py --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import arguments, lua_script, prepare, registry, serving, table, wrk  # noqa: E402
from verify import claims  # noqa: E402


async def session_rows(database_url: str) -> int:
    """staff_session rows in the benchmark's database."""
    from registry import db
    from registry.services.sql import reading
    from registry.settings import Settings

    engine = db.build_engine(Settings(database_url=database_url))
    async with reading(engine) as reader:
        return (await reader.fetch_one("SELECT COUNT(*) AS n FROM staff_session"))["n"]


def main() -> None:
    parser = arguments(__doc__, connections=20)
    parser.add_argument("--flood-connections", type=int, default=50)
    parser.add_argument("--address-limit", action="store_true", help="keep the public limit per address")
    setup = prepare(parser)
    args, workdir, env, base = setup.args, setup.workdir, setup.env, setup.base
    if args.address_limit:
        env.pop("REGISTRY_PUBLIC_RATE_LIMIT_PER_MINUTE")
    credentials = json.loads(registry(env, "create-client", "bench", "--json"))
    try:
        with serving(env, setup.port), httpx.Client(base_url=base, timeout=60) as http:
            token = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                              auth=(credentials["client_id"], credentials["client_secret"])).json()["access_token"]
            sample = claims(500, args.coaches, max(13, args.coaches // 25))
            verify_script = lua_script(workdir / "verify.lua", "POST", [json.dumps(claim) for claim in sample],
                                       {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            health_script = lua_script(workdir / "health.lua", "GET", ["/health/live"])
            flood_script = lua_script(workdir / "flood.lua", "GET", ["/admin/inloggen"])
            verifications, health = f"{base}/api/v1/verifications", f"{base}/health/live"
            wrk(verifications, 2, args.connections, verify_script)  # warm-up
            with ThreadPoolExecutor(3) as pool:
                quiet = pool.submit(wrk, verifications, args.seconds, args.connections, verify_script)
                quiet_health = pool.submit(wrk, health, args.seconds, 2, health_script)
                quiet, quiet_health = quiet.result(), quiet_health.result()
                flood = pool.submit(wrk, f"{base}/admin/inloggen", args.seconds + 1, args.flood_connections, flood_script)
                flooded = pool.submit(wrk, verifications, args.seconds, args.connections, verify_script)
                flooded_health = pool.submit(wrk, health, args.seconds, 2, health_script)
                flood, flooded, flooded_health = flood.result(), flooded.result(), flooded_health.result()
        rows = asyncio.run(session_rows(setup.database_url))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    engine = "PostgreSQL" if setup.database_url.startswith("postgres") else "SQLite"
    limit = "the default public limit per address" if args.address_limit else "no limit per address"
    table(f"{engine}, {args.coaches:,} coaches, one uvicorn worker, {args.seconds} s per run over loopback, {limit}",
          [("quiet: POST /api/v1/verifications", quiet), ("quiet: GET /health/live (c2)", quiet_health),
           (f"flood: GET /admin/inloggen (c{args.flood_connections})", flood),
           ("flooded: POST /api/v1/verifications", flooded), ("flooded: GET /health/live (c2)", flooded_health)])
    print(f"verification p99 quiet {quiet['p99_ms']:.1f} ms, during the flood {flooded['p99_ms']:.1f} ms; "
          f"/health/live p99 quiet {quiet_health['p99_ms']:.1f} ms, during the flood {flooded_health['p99_ms']:.1f} ms")
    print(f"staff_session rows after {flood['requests_per_second'] * (args.seconds + 1):,.0f} sign-in page requests: {rows}")


if __name__ == "__main__":
    main()
