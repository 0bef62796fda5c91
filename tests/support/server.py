"""Run `registry serve` in a subprocess on a free loopback port, for tests that need a real server."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningRegistry:
    """A registry server process and how to reach it."""

    def __init__(self, base_url: str, env: dict[str, str]):
        self.base_url = base_url
        self.env = env

    def command(self, *args: str, stdin: str | None = None) -> str:
        """Run `registry ARGS` against the same database (with `stdin` as its input); its standard output."""
        result = subprocess.run([sys.executable, "-m", "registry.cli", *args], env=self.env, cwd=ROOT,
                                capture_output=True, text=True, timeout=300, input=stdin)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def new_client(self, name: str) -> dict[str, str]:
        """client_id and client_secret of a newly registered client."""
        return json.loads(self.command("create-client", name, "--json"))

    def token(self, credentials: dict[str, str]) -> str:
        """An access token for these credentials."""
        response = httpx.post(f"{self.base_url}/oauth/token", data={"grant_type": "client_credentials"},
                              auth=(credentials["client_id"], credentials["client_secret"]))
        assert response.status_code == 200, response.text
        return response.json()["access_token"]


def registry_environment(database_url: str, data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of a server on this database and port."""
    return {
        **os.environ,
        "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_DATA_DIR": str(data_dir),
        "REGISTRY_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "REGISTRY_OVER_LIMIT_PAUSE_SECONDS": "0",  # tests reach limits on purpose; tests/unit/test_public_work.py holds the pause
        **extra,
    }


@contextlib.contextmanager
def running_registry(database_url: str, data_dir: Path, demo_coaches: int = 0, port: int | None = None,
                     **extra: str) -> Iterator[RunningRegistry]:
    """Serve the registry (optionally with demo data first) until the block ends."""
    port = port or free_port()
    env = registry_environment(database_url, data_dir, port, **extra)
    registry = RunningRegistry(f"http://127.0.0.1:{port}", env)
    if demo_coaches:
        registry.command("demo", "--coaches", str(demo_coaches))
    log = open(data_dir.parent / f"server-{port}.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "-m", "registry.cli", "serve", "--port", str(port)], env=env, cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"the server exited; see {log.name}"
            try:
                if httpx.get(f"{registry.base_url}/health/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready within 60 s"
            time.sleep(0.1)
        yield registry
    finally:
        stop(process, timeout=20)
        log.close()


def stop(process: subprocess.Popen, timeout: float) -> None:
    """Ask a process to end; kill it if it has not ended within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
