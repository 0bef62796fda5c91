"""Benchmark of the verification API against `registry serve` on demo data, from a second process.

Measures, in one run on one server: requests/s and p50/p99 latency of GET /health/live and of a
single POST /api/v1/verifications at the same concurrency (with wrk over loopback), their ratio,
and the time per item of 10,000-item batches. Needs `wrk` (Debian package `wrk`).

    .venv/bin/python bench/verify.py                       # SQLite, 100,000 demo coaches
    .venv/bin/python bench/verify.py --database-url postgresql://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def registry(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([PYTHON, "-m", "registry.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"registry {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def wrk(url: str, seconds: int, connections: int, script: Path | None = None) -> dict[str, float]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        command[1:1] = ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)$", output, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)$", output, re.MULTILINE)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": milliseconds(latency["50"]),
        "p99_ms": milliseconds(latency["99"]),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "none",
    }


def milliseconds(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


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


def lua_script(path: Path, token: str, bodies: list[str]) -> Path:
    quoted = ",\n".join("[[" + body + "]]" for body in bodies)
    path.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        f"bodies = {{\n{quoted}\n}}\n"
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  return wrk.format(nil, nil, nil, bodies[(counter % #bodies) + 1])\n"
        "end\n"
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an existing database to use (default: a new SQLite file)")
    parser.add_argument("--coaches", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--skip-demo", action="store_true", help="the database already holds the demo data")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")

    workdir = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'registry.db'}"
    port = free_port()
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_DATA_DIR": str(workdir / "data"),
        "REGISTRY_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "REGISTRY_API_RATE_LIMIT_PER_MINUTE": str(10**9),
    }
    registry(env, "migrate")
    if not args.skip_demo:
        started = time.perf_counter()
        registry(env, "demo", "--coaches", str(args.coaches))
        print(f"demo data with {args.coaches:,} coaches loaded in {time.perf_counter() - started:.1f} s")
    credentials = json.loads(registry(env, "create-client", "bench", "--json"))
    server = subprocess.Popen([PYTHON, "-m", "registry.cli", "serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            started = time.perf_counter()
            while True:
                try:
                    if http.get("/health/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.perf_counter() - started > 120:
                    sys.exit("the server did not become ready")
                time.sleep(0.2)
            print(f"server ready in {time.perf_counter() - started:.1f} s (index built)")
            token = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                              auth=(credentials["client_id"], credentials["client_secret"])).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            programmes = max(13, args.coaches // 25)
            sample = claims(500, args.coaches, programmes)
            probe = http.post("/api/v1/verifications", json=sample[0], headers=headers)
            assert probe.status_code == 200, probe.text
            script = lua_script(workdir / "verify.lua", token, [json.dumps(claim) for claim in sample])

            wrk(f"{base}/health/live", 2, args.connections)  # warm-up
            live = wrk(f"{base}/health/live", args.seconds, args.connections)
            single = wrk(f"{base}/api/v1/verifications", args.seconds, args.connections, script)

            batch = {"items": claims(10_000, args.coaches, programmes, seed=11)}
            body = json.dumps(batch).encode()
            times = []
            for _ in range(args.batches):
                started = time.perf_counter()
                response = http.post("/api/v1/verifications/batch", content=body, headers={**headers, "Content-Type": "application/json"})
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text[:500]
                summary = response.json()["summary"]
            memory_kb = int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{server.pid}/status").read_text()).group(1))
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)

    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"\n{engine}, {args.coaches:,} coaches, one uvicorn worker, wrk -t1 -c{args.connections} -d{args.seconds}s over loopback")
    print(f"{'endpoint':<32}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for name, result in (("GET /health/live", live), ("POST /api/v1/verifications", single)):
        print(f"{name:<32}{result['requests_per_second']:>10.0f}{result['p50_ms']:>10.2f}{result['p99_ms']:>10.2f}{result['non_2xx']:>10}")
    print(f"verification / health throughput ratio: {single['requests_per_second'] / live['requests_per_second']:.2f}")
    median = statistics.median(times)
    print(f"10,000-item batch: median {median:.3f} s ({median / 10_000 * 1e6:.0f} µs per item), best {min(times):.3f} s, "
          f"summary {summary}")
    print(f"server memory after the run: {memory_kb / 1024:.0f} MB RSS")


if __name__ == "__main__":
    main()
