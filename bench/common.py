"""Shared parts of the benchmarks: run `registry` commands, serve, drive wrk and read its numbers."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Printed by wrk at the end of a run, so p95 is read exactly rather than from its fixed table.
PERCENTILES_LUA = """
done = function(summary, latency, requests)
  for _, p in pairs({50, 95, 99}) do
    io.write(string.format("percentile %d %d\\n", p, latency:percentile(p)))
  end
end
"""


@dataclass(frozen=True)
class Setup:
    """Where a benchmark runs: its scratch folder, database, port and server environment."""

    args: argparse.Namespace
    workdir: Path
    database_url: str
    port: int
    env: dict[str, str]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def arguments(description: str, connections: int, **extra: int) -> argparse.ArgumentParser:
    """The options every benchmark takes, plus its own whole-number options."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="an existing database to use (default: a new SQLite file)")
    parser.add_argument("--coaches", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=connections)
    parser.add_argument("--skip-demo", action="store_true", help="the database already holds the demo data")
    for name, default in extra.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    return parser


def prepare(parser: argparse.ArgumentParser) -> Setup:
    """Parse the options, check for wrk, migrate, and load the demo data unless told not to."""
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    workdir = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'registry.db'}"
    port = free_port()
    env = environment(database_url, data_directory(args.database_url, workdir), port)
    registry(env, "migrate")
    if not args.skip_demo:
        started = time.perf_counter()
        registry(env, "demo", "--coaches", str(args.coaches))
        print(f"demo data with {args.coaches:,} coaches loaded in {time.perf_counter() - started:.1f} s")
    return Setup(args, workdir, database_url, port, env)


def data_directory(database_url: str | None, workdir: Path) -> Path:
    """Where the server keeps its key files: for an existing database, one that outlives the run.

    The audit chain's key must be the same for every process that ever writes to a database: a
    scratch directory per run would leave events chained with a key deleted afterwards.
    """
    if os.environ.get("REGISTRY_DATA_DIR"):
        return Path(os.environ["REGISTRY_DATA_DIR"])
    if database_url and database_url.startswith("sqlite:///"):
        return Path(database_url[len("sqlite:///"):]).parent / "data"
    return workdir / "data"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(database_url: str, data_dir: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_DATA_DIR": str(data_dir),
        "REGISTRY_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "REGISTRY_API_RATE_LIMIT_PER_MINUTE": str(10**9),
        "REGISTRY_PUBLIC_RATE_LIMIT_PER_MINUTE": str(10**9),
    }


def registry(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([PYTHON, "-m", "registry.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"registry {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


@contextlib.contextmanager
def serving(env: dict[str, str], port: int) -> Iterator[subprocess.Popen]:
    """`registry serve` until the block ends; waits until /health/ready answers."""
    server = subprocess.Popen([PYTHON, "-m", "registry.cli", "serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.perf_counter()
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.perf_counter() - started > 120 or server.poll() is not None:
                sys.exit("the server did not become ready")
            time.sleep(0.2)
        print(f"server ready in {time.perf_counter() - started:.1f} s")
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def wrk(url: str, seconds: int, connections: int, script: Path) -> dict[str, float]:
    """Requests/s, p50/p95/p99 in ms and non-2xx count of one wrk run (one thread)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    percentiles = {int(p): int(us) / 1000 for p, us in re.findall(r"^percentile (\d+) (\d+)$", output, re.MULTILINE)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": percentiles[50],
        "p95_ms": percentiles[95],
        "p99_ms": percentiles[99],
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def lua_script(path: Path, method: str, requests: list[str], headers: dict[str, str] | None = None) -> Path:
    """A wrk script that cycles through request bodies (POST) or paths (GET)."""
    quoted = ",\n".join("[[" + item + "]]" for item in requests)
    header_lines = "".join(f'wrk.headers["{name}"] = "{value}"\n' for name, value in (headers or {}).items())
    call = "wrk.format(nil, nil, nil, items[i])" if method == "POST" else "wrk.format(nil, items[i])"
    path.write_text(
        f'wrk.method = "{method}"\n{header_lines}items = {{\n{quoted}\n}}\ncounter = 0\n'
        "request = function()\n  counter = counter + 1\n  local i = (counter % #items) + 1\n"
        f"  return {call}\nend\n{PERCENTILES_LUA}"
    )
    return path


def table(title: str, rows: list[tuple[str, dict[str, float]]]) -> None:
    print(f"\n{title}")
    print(f"{'endpoint':<44}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    for name, result in rows:
        print(f"{name:<44}{result['requests_per_second']:>9.0f}{result['p50_ms']:>9.2f}{result['p95_ms']:>9.2f}"
              f"{result['p99_ms']:>9.2f}{result['non_2xx']:>9}")
