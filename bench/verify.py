"""Benchmark of the verification API against `registry serve` on demo data, from a second process.

Measures, in one run on one server: requests/s and p50/p95/p99 latency of GET /health/live, of
POST /api/v1/verifications repeating one claim, and of varied claims (random programmes, coaches
and dates) at the same concurrency (wrk over loopback), both ratios to /health/live; and the
client-side time of 10,000-item batches of varied claims, without and with periods, answer
included (uncompressed, and as a client asking for zstd gets it), with a sample of receipts
verified against the JWKS; and next to them 10,000 claims from declaration lines (a provider's AGB
code instead of a programme code, a third narrowed by guidance type, a few unknown providers), as
JSON and as a CSV file. Needs `wrk` (Debian package `wrk`).

    .venv/bin/python bench/verify.py                       # SQLite, 100,000 demo coaches
    .venv/bin/python bench/verify.py --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec
from joserfc import jws
from joserfc.jwk import KeySet

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import arguments, lua_script, prepare, registry, serving, table, wrk  # noqa: E402


def claims(count: int, coaches: int, programmes: int, seed: int = 7, periods: float = 0.0) -> list[dict[str, str]]:
    """Claims over existing demo subjects, with dates across the demo's history; `periods` of them over 1 to 120 days."""
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 3 * 365))
        claim = {"programme_code": f"P-{rng.randint(1, programmes):06d}", "coach_registration_number": f"C-{rng.randint(1, coaches):06d}",
                 "service_date": day.isoformat()}
        if rng.random() < periods:
            claim["service_end_date"] = (day + dt.timedelta(days=rng.randint(1, 120))).isoformat()
        result.append(claim)
    return result


def provider_agb_codes(coaches: int) -> list[str]:
    """The AGB codes the demo of this size gives its providers (the demo document is deterministic)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from registry.demo import build_demo_document

    return [code for organisation in build_demo_document(coaches=coaches)["organisations"] for code in organisation.get("agb_codes", ())]


def declaration_claims(count: int, providers: list[str], coaches: int, seed: int = 17) -> list[dict[str, str]]:
    """Claims as declaration lines hold them: provider AGB code, coach, date; a third by guidance type, 2% unknown providers."""
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 3 * 365))
        provider = rng.choice(providers) if rng.random() >= 0.02 else f"{rng.randint(0, 10**8 - 1):08d}"
        claim = {"provider_agb_code": provider, "coach_registration_number": f"C-{rng.randint(1, coaches):06d}",
                 "service_date": day.isoformat()}
        if rng.random() < 1 / 3:
            claim["guidance_type"] = rng.choice(("short", "intensive"))
        result.append(claim)
    return result


def csv_times(http: httpx.Client, headers: dict[str, str], items: list[dict[str, str]], rounds: int, pid: int) -> tuple[list[float], list[float], str]:
    """Client-side seconds of each round of one batch sent and answered as a `;`-separated CSV file, server CPU seconds, the last answer."""
    columns = ["provider_agb_code", "guidance_type", "coach_registration_number", "service_date"]
    body = ("\r\n".join([";".join(columns), *(";".join(item.get(name, "") for name in columns) for item in items)]) + "\r\n").encode()
    times, cpu, answer = [], [], ""
    for _ in range(rounds):
        before = cpu_seconds(pid)
        started = time.perf_counter()
        response = http.post("/api/v1/verifications/batch", content=body, headers={**headers, "Content-Type": "text/csv"})
        answer = response.text
        times.append(time.perf_counter() - started)
        cpu.append(cpu_seconds(pid) - before)
        assert response.status_code == 200, response.text[:500]
    return times, cpu, answer


def cpu_seconds(pid: int) -> float:
    """CPU time the server process (every thread) has used: user and system."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid: int, url: str, seconds: int, connections: int, script: Path) -> dict[str, float]:
    """A wrk run, with the server's CPU time per answered request: on a shared machine the steadier measure of the work."""
    before = cpu_seconds(pid)
    result = wrk(url, seconds, connections, script)
    result["cpu_us"] = (cpu_seconds(pid) - before) / (result["requests_per_second"] * seconds) * 1e6
    return result


def batch_times(http: httpx.Client, headers: dict[str, str], items: list[dict[str, str]], rounds: int, coding: str,
                pid: int) -> tuple[list[float], list[float], Any]:
    """Client-side seconds of each round of one batch (sending, answering, receiving and decoding the JSON), server CPU seconds, the last answer."""
    body = json.dumps({"items": items}).encode()
    times, cpu, answer = [], [], None
    for _ in range(rounds):
        before = cpu_seconds(pid)
        started = time.perf_counter()
        response = http.post("/api/v1/verifications/batch", content=body,
                             headers={**headers, "Content-Type": "application/json", "Accept-Encoding": coding})
        answer = msgspec.json.decode(response.content)  # as a client in a hurry decodes it
        times.append(time.perf_counter() - started)
        cpu.append(cpu_seconds(pid) - before)
        assert response.status_code == 200, response.text[:500]
        assert response.headers.get("content-encoding", "identity") == coding
    return times, cpu, answer


def check_receipts(http: httpx.Client, answer: Any, sample: int = 200) -> int:
    """Verify a random sample of the batch's receipts against the JWKS, each against its own item; the number checked."""
    keys = KeySet.import_key_set(http.get("/.well-known/jwks.json").json())
    results = [result for result in answer["results"] if "receipt" in result]
    for result in random.Random(3).sample(results, min(sample, len(results))):
        payload = json.loads(jws.deserialize_compact(result["receipt"], keys, algorithms=["ES256"]).payload)
        assert payload["verification_id"] == result["verification_id"] and payload["accredited"] == result["accredited"]
    return min(sample, len(results))


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
            sample = claims(2000, args.coaches, programmes, periods=0.2)
            probe = http.post("/api/v1/verifications", json=sample[0], headers=headers)
            assert probe.status_code == 200, probe.text
            json_headers = {"Content-Type": "application/json", **headers}
            health_script = lua_script(workdir / "health.lua", "GET", ["/health/live"])
            repeated_script = lua_script(workdir / "repeated.lua", "POST", [json.dumps(sample[0])], json_headers)
            varied_script = lua_script(workdir / "varied.lua", "POST", [json.dumps(claim) for claim in sample], json_headers)
            wrk(f"{base}/health/live", 2, args.connections, health_script)  # warm-up
            wrk(f"{base}/api/v1/verifications", 2, args.connections, varied_script)
            live = measured(server.pid, f"{base}/health/live", args.seconds, args.connections, health_script)
            repeated = measured(server.pid, f"{base}/api/v1/verifications", args.seconds, args.connections, repeated_script)
            varied = measured(server.pid, f"{base}/api/v1/verifications", args.seconds, args.connections, varied_script)

            dates_only = claims(10_000, args.coaches, programmes, seed=11)
            with_periods = claims(10_000, args.coaches, programmes, seed=13, periods=1.0)
            batch_times(http, headers, dates_only, 1, "identity", server.pid)  # warm-up
            plain = batch_times(http, headers, dates_only, args.batches, "identity", server.pid)
            summary, checked = plain[2]["summary"], check_receipts(http, plain[2])
            periods = batch_times(http, headers, with_periods, args.batches, "identity", server.pid)
            checked += check_receipts(http, periods[2])
            packed = batch_times(http, headers, dates_only, args.batches, "zstd", server.pid)
            declarations = declaration_claims(10_000, provider_agb_codes(args.coaches), args.coaches)
            by_provider = batch_times(http, headers, declarations, args.batches, "identity", server.pid)
            as_csv = csv_times(http, headers, declarations, args.batches, server.pid)
            csv_verdicts = [line.split(";")[4:6] for line in as_csv[2].splitlines()[1:]]
            json_verdicts = [[str(r["accredited"]).lower(), "|".join(x["code"] for x in r["reasons"])] for r in by_provider[2]["results"]]
            assert csv_verdicts == json_verdicts, "CSV and JSON answers differ"
            memory_kb = int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{server.pid}/status").read_text()).group(1))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    table(f"{engine}, {args.coaches:,} coaches, one worker, wrk -t1 -c{args.connections} -d{args.seconds}s over loopback",
          [("GET /health/live", live), ("POST /api/v1/verifications, one claim", repeated), ("POST /api/v1/verifications, varied", varied)])
    print(f"machine load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, result in (("one repeated claim", repeated), ("varied claims", varied)):
        print(f"verification / health throughput ratio, {name}: {result['requests_per_second'] / live['requests_per_second']:.2f} "
              f"(p99 {result['p99_ms']:.1f} ms); server CPU per request {result['cpu_us']:.0f} µs against {live['cpu_us']:.0f} µs, "
              f"ratio {live['cpu_us'] / result['cpu_us']:.2f}")
    batches = (("dates", plain), ("periods", periods), ("dates, zstd", packed), ("declaration lines by provider AGB code", by_provider),
               ("declaration lines as a CSV file", as_csv))
    for name, (times, cpu, _) in batches:
        median = statistics.median(times)
        print(f"10,000 varied claims in one batch ({name}; client-side, answer included): median {median:.3f} s "
              f"({median / 10_000 * 1e6:.0f} µs per item), best {min(times):.3f} s; server CPU median {statistics.median(cpu):.3f} s")
    print(f"summary of the batch of dates: {summary}; {checked} receipts verified against the JWKS, each against its own item")
    print(f"declaration lines against programme codes, median time ratio: {statistics.median(by_provider[0]) / statistics.median(plain[0]):.2f}; "
          f"their summary: {by_provider[2]['summary']}; the CSV file's verdicts equal the JSON batch's")
    print(f"server memory after the run: {memory_kb / 1024:.0f} MB RSS")


if __name__ == "__main__":
    main()
