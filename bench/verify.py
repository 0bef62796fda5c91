"""Benchmark of the verification API against `registry serve` on demo data, from a second process.

Measures, in one run on one server: requests/s and p50/p95/p99 latency of GET /health/live and of
a single POST /api/v1/verifications at the same concurrency (wrk over loopback), their ratio, and
the time per item of 10,000-item batches. Needs `wrk` (Debian package `wrk`).

    .venv/bin/python bench/verify.py                       # SQLite, 100,000 demo coaches
    .venv/bin/python bench/verify.py --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import json
import random
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import arguments, lua_script, prepare, registry, serving, table, wrk  # noqa: E402


def claims(count: int, coaches: int, programmes: int, seed: int = 7) -> list[dict[str, str]]:
    """Claims over existing demo subjects, with dates across the demo's history."""
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        day = f"20{rng.randint(24, 26)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        claim = {"programme_code": f"P-{rng.randint(1, programmes):06d}", "coach_registration_number": f"C-{rng.randint(1, coaches):06d}", "service_date": day}
        if rng.random() < 0.2:
            claim["service_end_date"] = day[:5] + "12-31"
        result.append(claim)
    return result


def main() -> None:
    setup = prepare(arguments(__doc__, connections=50, batches=5))
    args, workdir, database_url, env, base = setup.args, setup.workdir, setup.database_url, setup.env, setup.base
    credentials = json.loads(registry(env, "create-client", "bench", "--json"))
    try:
        with serving(env, setup.port) as server, httpx.Client(base_url=base, timeout=60) as http:
            token = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                              auth=(credentials["client_id"], credentials["client_secret"])).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            programmes = max(13, args.coaches // 25)
            sample = claims(500, args.coaches, programmes)
            probe = http.post("/api/v1/verifications", json=sample[0], headers=headers)
            assert probe.status_code == 200, probe.text
            health_script = lua_script(workdir / "health.lua", "GET", ["/health/live"])
            verify_script = lua_script(workdir / "verify.lua", "POST", [json.dumps(claim) for claim in sample],
                                       {"Content-Type": "application/json", **headers})
            wrk(f"{base}/health/live", 2, args.connections, health_script)  # warm-up
            live = wrk(f"{base}/health/live", args.seconds, args.connections, health_script)
            single = wrk(f"{base}/api/v1/verifications", args.seconds, args.connections, verify_script)

            body = json.dumps({"items": claims(10_000, args.coaches, programmes, seed=11)}).encode()
            times = []
            for _ in range(args.batches):
                started = time.perf_counter()
                response = http.post("/api/v1/verifications/batch", content=body, headers={**headers, "Content-Type": "application/json"})
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text[:500]
                summary = response.json()["summary"]
            memory_kb = int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{server.pid}/status").read_text()).group(1))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    table(f"{engine}, {args.coaches:,} coaches, one uvicorn worker, wrk -t1 -c{args.connections} -d{args.seconds}s over loopback",
          [("GET /health/live", live), ("POST /api/v1/verifications", single)])
    print(f"verification / health throughput ratio: {single['requests_per_second'] / live['requests_per_second']:.2f}")
    median = statistics.median(times)
    print(f"10,000-item batch (client-side, 15 MB answer included): median {median:.3f} s "
          f"({median / 10_000 * 1e6:.0f} µs per item), best {min(times):.3f} s, summary {summary}")
    print(f"server memory after the run: {memory_kb / 1024:.0f} MB RSS")


if __name__ == "__main__":
    main()
