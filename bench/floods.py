"""Floods against `registry serve` while verifications run, from other processes: does billing traffic stay fast?

Runs verifications and /health/live quietly first, then again during each flood shape, and prints
their p99 in both (the acceptance: verification p99 within 2x of quiet, /health/live p99 < 50 ms),
each flood's own rate and answers, and how many staff_session rows the floods left (none). The shapes:

- `search`: repeated-word searches (the word "0" 99 times, with and without a status filter) on
  /coaches, /zoeken and /api/v1/coaches, from one address;
- `sign-in`: cookieless GETs of /admin/inloggen from one address;
- `addresses`: public pages and searches from --addresses distinct addresses (X-Forwarded-For from
  loopback, which the server is told to trust), a few requests each: every one is served.

The registry's own limits per address apply (1,200 public requests a minute), as in production; with
--no-address-limit they are lifted and every flood request is served in full. Needs `wrk`.

    .venv/bin/python bench/floods.py --coaches 10000
    .venv/bin/python bench/floods.py --database-url sqlite:////work/benchdb/registry-100k.db --skip-demo --coaches 100000
    .venv/bin/python bench/floods.py --shape sign-in --no-address-limit
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
from common import PERCENTILES_LUA, arguments, lua_script, prepare, registry, serving, table, wrk  # noqa: E402
from verify import claims  # noqa: E402

SHAPES = ("search", "sign-in", "addresses")
REPEATED = "+".join(["0"] * 99)
SEARCHES = [f"/coaches?q={REPEATED}", f"/coaches?q={REPEATED}&status=accredited", f"/zoeken?q={REPEATED}",
            f"/api/v1/coaches?q={REPEATED}", f"/api/v1/coaches?q={REPEATED}&status=suspended"]
PUBLIC_PAGES = ["/coaches?q=jan", "/programmas?q=utrecht", "/zoeken?q=de+vries", "/api/v1/coaches?q=bakker", "/", "/coaches?q=m&status=accredited"]


def addresses_script(path: Path, paths: list[str], addresses: int) -> Path:
    """A wrk script sending each request from the next of `addresses` addresses (X-Forwarded-For)."""
    quoted = ",\n".join("[[" + item + "]]" for item in paths)
    path.write_text(
        f"paths = {{\n{quoted}\n}}\ncounter = 0\n"
        "request = function()\n  counter = counter + 1\n"
        f"  local n = counter % {addresses}\n"
        '  wrk.headers["X-Forwarded-For"] = "10." .. math.floor(n / 65536) .. "." .. (math.floor(n / 256) % 256) .. "." .. (n % 256)\n'
        "  return wrk.format(\"GET\", paths[(counter % #paths) + 1])\nend\n"
        f"{PERCENTILES_LUA}"
    )
    return path


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
    parser.add_argument("--addresses", type=int, default=5000)
    parser.add_argument("--shape", choices=[*SHAPES, "all"], default="all")
    parser.add_argument("--no-address-limit", action="store_true", help="lift the public limit per address")
    setup = prepare(parser)
    args, workdir, env, base = setup.args, setup.workdir, setup.env, setup.base
    if not args.no_address_limit:
        env.pop("REGISTRY_PUBLIC_RATE_LIMIT_PER_MINUTE")
    # Loopback plays the proxy, so the `addresses` flood can come from many addresses; wrk's own requests carry none.
    env["REGISTRY_TRUSTED_PROXIES"] = "127.0.0.1"
    shapes = SHAPES if args.shape == "all" else (args.shape,)
    credentials = json.loads(registry(env, "create-client", "bench", "--json"))
    rows: list[tuple[str, dict[str, float]]] = []
    verdicts: list[str] = []
    try:
        with serving(env, setup.port), httpx.Client(base_url=base, timeout=60) as http:
            token = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                              auth=(credentials["client_id"], credentials["client_secret"])).json()["access_token"]
            sample = claims(500, args.coaches, max(13, args.coaches // 25))
            verify_script = lua_script(workdir / "verify.lua", "POST", [json.dumps(claim) for claim in sample],
                                       {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            health_script = lua_script(workdir / "health.lua", "GET", ["/health/live"])
            floods = {
                "search": (lua_script(workdir / "search.lua", "GET", SEARCHES), "repeated-word searches, one address"),
                "sign-in": (lua_script(workdir / "sign-in.lua", "GET", ["/admin/inloggen"]), "GET /admin/inloggen, no cookie, one address"),
                "addresses": (addresses_script(workdir / "addresses.lua", PUBLIC_PAGES, args.addresses),
                              f"public pages from {args.addresses:,} addresses"),
            }
            verifications, health = f"{base}/api/v1/verifications", f"{base}/health/live"
            wrk(verifications, 2, args.connections, verify_script)  # warm-up
            with ThreadPoolExecutor(3) as pool:
                quiet = pool.submit(wrk, verifications, args.seconds, args.connections, verify_script)
                quiet_health = pool.submit(wrk, health, args.seconds, 2, health_script)
                quiet, quiet_health = quiet.result(), quiet_health.result()
                rows += [("quiet: POST /api/v1/verifications", quiet), ("quiet: GET /health/live (c2)", quiet_health)]
                for shape in shapes:
                    script, what = floods[shape]
                    flood = pool.submit(wrk, base, args.seconds + 1, args.flood_connections, script)
                    flooded = pool.submit(wrk, verifications, args.seconds, args.connections, verify_script)
                    flooded_health = pool.submit(wrk, health, args.seconds, 2, health_script)
                    flood, flooded, flooded_health = flood.result(), flooded.result(), flooded_health.result()
                    rows += [(f"{shape} flood (c{args.flood_connections}): {what}"[:43], flood),
                             (f"  during {shape}: POST /api/v1/verifications", flooded), (f"  during {shape}: GET /health/live", flooded_health)]
                    ratio = flooded["p99_ms"] / quiet["p99_ms"]
                    # No answer at all during the run (a stalled server) is a failure, not a p99 of 0.
                    answered = flooded["requests_per_second"] > 0 and flooded_health["requests_per_second"] > 0
                    held = "holds" if answered and ratio <= 2 and flooded_health["p99_ms"] < 50 else "FAILS"
                    verdicts.append(f"{shape}: verification p99 {quiet['p99_ms']:.1f} -> {flooded['p99_ms']:.1f} ms ({ratio:.2f}x), "
                                    f"/health/live p99 {flooded_health['p99_ms']:.1f} ms; flood {flood['requests_per_second']:,.0f} req/s, "
                                    f"{flood['non_2xx']:,} not 2xx (refused): {held}")
        sessions = asyncio.run(session_rows(setup.database_url))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    engine = "PostgreSQL" if setup.database_url.startswith("postgres") else "SQLite"
    limit = "no limit per address" if args.no_address_limit else "the registry's limits per address"
    table(f"{engine}, {args.coaches:,} coaches, one uvicorn worker, {args.seconds} s per run over loopback, {limit}", rows)
    print()
    for line in verdicts:
        print(line)
    print(f"staff_session rows after the floods: {sessions}")


if __name__ == "__main__":
    main()
