"""Mixed load for a bounded time: billing systems verifying (one claim and batches), the public searching,
staff recording decisions and editing records, all at once against one `registry serve` from this
second process over loopback. Prints throughput, latency percentiles and errors per kind of
request (errors must be 0) and the server's memory every few seconds (it must stay flat).

    .venv/bin/python bench/load.py --coaches 20000 --seconds 60 --workers 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import data_directory, environment, free_port, registry, serving  # noqa: E402

# Share of each kind of request; billing traffic dominates, as it will in production.
MIX = {"verify": 50, "batch of 100": 5, "public search": 25, "public page": 10, "staff decision": 5, "staff edit": 5}
PASSWORD = "load test password 2026"


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux)."""
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


class Staff:
    """A signed-in editor; the session cookie is Secure, so it is carried by hand over loopback HTTP."""

    def __init__(self, http: httpx.AsyncClient):
        self.http = http
        self.cookie = ""

    async def sign_in(self) -> None:
        page = await self.http.get("/admin/inloggen")
        self.cookie = page.headers["set-cookie"].split(";", 1)[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        signed = await self.http.post("/admin/inloggen", headers={"cookie": self.cookie},
                                      data={"csrf_token": token, "username": "load-editor", "password": PASSWORD, "return_to": "/admin"})
        assert signed.status_code == 303, signed.text
        self.cookie = signed.headers["set-cookie"].split(";", 1)[0]

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path, headers={"cookie": self.cookie})

    async def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return await self.http.post(path, headers={"cookie": self.cookie}, data=data)


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def run_load(base: str, token: str, seconds: int, workers: int, codes: dict[str, list[str]], pid: int) -> None:
    """Workers pick requests by the mix until time is up; a sampler records the server's memory."""
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    memory: list[tuple[float, float]] = []
    counter = iter(range(10**9))
    deadline = time.perf_counter() + seconds
    kinds, weights = zip(*MIX.items(), strict=True)

    def claim(rng: random.Random) -> dict[str, str]:
        return {"programme_code": rng.choice(codes["programmes"]), "coach_registration_number": rng.choice(codes["coaches"]),
                "service_date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"}

    async def one(kind: str, http: httpx.AsyncClient, staff: Staff, rng: random.Random) -> bool:
        auth = {"authorization": f"Bearer {token}"}
        if kind == "verify":
            response = await http.post("/api/v1/verifications", json=claim(rng), headers=auth)
        elif kind == "batch of 100":
            response = await http.post("/api/v1/verifications/batch", json={"items": [claim(rng) for _ in range(100)]}, headers=auth)
        elif kind == "public search":
            response = await http.get("/api/v1/coaches", params={"q": rng.choice(["jan", "de", "van", "bakker", "vries", "m"])})
        elif kind == "public page":
            response = await http.get(f"/programmas/{rng.choice(codes['programmes'])}")
        elif kind == "staff decision":
            coach = rng.choice(codes["coaches"])
            page = await staff.get(f"/admin/coaches/{coach}")
            # A suspension far in the future: real writes, audit and index updates, without changing today's answers.
            response = await staff.post(f"/admin/coaches/{coach}/besluiten", {
                "csrf_token": csrf(page.text), "kind": "suspend", "from": "01-01-2031", "until": "02-01-2031",
                "reference": f"LOAD-{next(counter)}-{rng.randint(0, 10**9)}", "reason": "belastingtest"})
            return response.status_code == 303 or errors[kind].append(f"{response.status_code}") or False
        else:
            organisation = rng.choice(codes["organisations"])
            form = await staff.get(f"/admin/organisaties/{organisation}/wijzigen")
            values = dict(re.findall(r'<input id="(name|kvk_number|agb_code|city)" name="\1" type="text" value="([^"]*)"', form.text))
            version = re.search(r'name="version" value="(\d+)"', form.text).group(1)
            response = await staff.post(f"/admin/organisaties/{organisation}/wijzigen",
                                        {"csrf_token": csrf(form.text), "version": version, **values, "city": f"Plaats {rng.randint(1, 99)}"})
            # Two workers may edit one organisation at once: a 409 is the optimistic lock doing its job, not an error.
            return response.status_code in (303, 409) or errors[kind].append(f"{response.status_code}") or False
        ok = response.status_code == 200
        if not ok:
            errors[kind].append(f"{response.status_code} {response.text[:120]}")
        return ok

    async def worker(number: int) -> None:
        rng = random.Random(number)
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            staff = Staff(http)
            await staff.sign_in()
            while time.perf_counter() < deadline:
                kind = rng.choices(kinds, weights)[0]
                started = time.perf_counter()
                try:
                    await one(kind, http, staff, rng)
                except httpx.HTTPError as problem:
                    errors[kind].append(repr(problem))
                latencies[kind].append((time.perf_counter() - started) * 1000)

    async def sampler() -> None:
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            memory.append((time.perf_counter() - started, rss_mb(pid)))
            await asyncio.sleep(max(1.0, seconds / 20))
        memory.append((time.perf_counter() - started, rss_mb(pid)))

    began = time.perf_counter()
    await asyncio.gather(sampler(), *(worker(n) for n in range(workers)))
    elapsed = time.perf_counter() - began
    report(latencies, errors, memory, elapsed, workers)


def report(latencies: dict[str, list[float]], errors: dict[str, list[str]], memory: list[tuple[float, float]], elapsed: float,
           workers: int) -> None:
    total = sum(len(values) for values in latencies.values())
    print(f"\n{total:,} requests in {elapsed:.0f} s from {workers} concurrent workers: {total / elapsed:.0f} req/s in all")
    print(f"{'kind':<16}{'count':>8}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind in MIX:
        values = sorted(latencies.get(kind, []))
        if not values:
            continue
        cut = statistics.quantiles(values, n=100) if len(values) > 1 else [values[0]] * 99
        print(f"{kind:<16}{len(values):>8}{len(values) / elapsed:>8.1f}{cut[49]:>9.1f}{cut[94]:>9.1f}{cut[98]:>9.1f}{len(errors.get(kind, [])):>8}")
    for kind, problems in errors.items():
        print(f"  {kind} errors, first few: {problems[:3]}")
    print("server memory (s: MB RSS): " + ", ".join(f"{at:.0f}: {mb:.0f}" for at, mb in memory))
    half = len(memory) // 2
    if half:
        first, second = statistics.mean(mb for _, mb in memory[1:half] or memory[:1]), statistics.mean(mb for _, mb in memory[half:])
        print(f"memory trend: first half {first:.0f} MB, second half {second:.0f} MB ({(second - first) / first * 100:+.1f} %)")
    print(f"errors in all: {sum(len(problems) for problems in errors.values())} (must be 0)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an existing, migrated database with demo data (default: a new SQLite file)")
    parser.add_argument("--coaches", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="registry-load-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'registry.db'}"
    port = free_port()
    env = environment(database_url, data_directory(args.database_url, workdir), port)
    try:
        registry(env, "migrate")
        if not args.database_url:
            registry(env, "demo", "--coaches", str(args.coaches))
        subprocess.run([sys.executable, "-m", "registry.cli", "create-user", "load-editor", "--role", "editor", "--password-stdin"],
                       env=env, input=PASSWORD, text=True, check=True, capture_output=True)
        env["REGISTRY_LOGIN_RATE_LIMIT_PER_MINUTE"] = str(10**6)
        with serving(env, port) as server:
            base = f"http://127.0.0.1:{port}"
            client = json.loads(registry(env, "create-client", "Belastingtest", "--json"))
            issued = httpx.post(f"{base}/oauth/token", data={"grant_type": "client_credentials"},
                                auth=(client["client_id"], client["client_secret"]))
            token = issued.json()["access_token"]
            codes = {
                "programmes": [item["code"] for item in httpx.get(f"{base}/api/v1/programmes?page_size=100").json()["items"]],
                "coaches": [item["registration_number"] for item in httpx.get(f"{base}/api/v1/coaches?page_size=100").json()["items"]],
                "organisations": sorted({item["provider"]["code"] for item in httpx.get(f"{base}/api/v1/programmes?page_size=100").json()["items"]
                                         if item.get("provider")})[:20],
            }
            print(f"{'SQLite' if database_url.startswith('sqlite') else 'PostgreSQL'}, {args.coaches:,} demo coaches, "
                  f"{args.workers} workers for {args.seconds} s, mix {MIX}")
            asyncio.run(run_load(base, token, args.seconds, args.workers, codes, server.pid))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
