"""A throwaway PostgreSQL cluster of our own, so a crash test can SIGKILL the database without touching the shared one."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.server import free_port


def binaries() -> Path | None:
    """The directory holding initdb, postgres and pg_isready (newest version first), if installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(path.split("/")[-2]), reverse=True)
    on_path = shutil.which("initdb")
    for directory in [*candidates, *([str(Path(on_path).resolve().parent)] if on_path else [])]:
        if all((Path(directory) / name).exists() for name in ("initdb", "postgres", "pg_isready")):
            return Path(directory)
    return None


def _owner() -> str | None:
    """PostgreSQL refuses to run as root: then the cluster runs as the `postgres` account."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return None
    return "postgres"


def available() -> bool:
    """True when a private cluster can be started here."""
    return binaries() is not None and (os.geteuid() != 0 or _owner() is not None)


class PrivatePostgres:
    """initdb in a temporary directory, a postmaster on a free port, killed and restarted at will."""

    def __init__(self) -> None:
        bin_dir = binaries()
        assert bin_dir is not None, "no PostgreSQL binaries (initdb, postgres) on this machine"
        self.bin = bin_dir
        self.user = _owner()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="registry-private-pg-"))
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.process: subprocess.Popen | None = None
        self.crashes = 0
        if self.user:
            shutil.chown(self.root, self.user)

    def url(self, database: str = "postgres") -> str:
        """A connection URL for a database of this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, timeout: float = 60.0) -> float:
        """Start the postmaster (initdb first, crash recovery after a kill); seconds until it accepts connections."""
        if not self.data.exists():
            # --no-sync only skips syncing the freshly created template files; the server itself runs with fsync on.
            subprocess.run([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                            "--locale=C", "--no-sync"], check=True, capture_output=True, user=self.user)
        started = time.monotonic()
        log = open(self.log_path, "a")  # noqa: SIM115 - the postmaster keeps writing to it; closed when it is
        # Durability settings spelled out: they are the defaults, and what the crash test relies on.
        self.process = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
             "-c", "unix_socket_directories=", "-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on",
             "-c", "max_connections=100"],
            stdout=log, stderr=subprocess.STDOUT, user=self.user, start_new_session=True,
        )
        log.close()
        while True:
            assert self.process.poll() is None, f"the private PostgreSQL exited; see {self.log_path}"
            ready = subprocess.run([str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)])
            if ready.returncode == 0:
                return time.monotonic() - started
            assert time.monotonic() - started < timeout, f"the private PostgreSQL did not accept connections; see {self.log_path}"
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend at once, as a crash would."""
        if self.process is None:
            return
        group = self.process.pid
        os.killpg(group, signal.SIGKILL)
        self.process.wait()
        self.process = None
        self.crashes += 1
        # A restart refuses while a killed backend still holds the old shared memory: wait until all are gone.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.01)

    def close(self) -> None:
        """Stop the cluster (immediately: its data is thrown away) and delete it."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGQUIT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)
