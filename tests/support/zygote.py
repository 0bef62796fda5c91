"""A process that imports the registry once and forks `registry` commands on request.

Importing the registry costs a `registry serve` most of its start (2-4 s here); a crash test restarts
a server every round. A child forked from this preloaded process runs the very same command code
(registry.cli's click group, or tests.support.crash_writer) in a session of its own, so it can be
SIGKILLed like any server process, and starts 2-4 s sooner than a fresh `registry serve`.

    python -m tests.support.zygote      # stdin: JSON lines {"program", "args", "log"}; stdout: one child pid per line

The environment (REGISTRY_*) is the zygote's own. When a child ends, its exit status is written to
LOG.exit (the zygote is its parent and reaps it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_logs: dict[int, str] = {}


class Child:
    """A forked command: its pid (also its process group), log, and exit status once it ended."""

    def __init__(self, pid: int, log_path: Path):
        self.pid = pid
        self.log_path = log_path

    @property
    def exit_code(self) -> int | None:
        """None while it runs."""
        marker = Path(f"{self.log_path}.exit")
        return int(marker.read_text()) if marker.exists() and marker.read_text() else None

    def wait(self, timeout: float = 120) -> int:
        """The exit status, once it has ended."""
        deadline = time.monotonic() + timeout
        while self.exit_code is None:
            assert time.monotonic() < deadline, f"process {self.pid} still runs; see {self.log_path}"
            time.sleep(0.005)
        return self.exit_code

    def kill(self) -> None:
        """SIGKILL the whole process group: no chance to clean up."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.wait(timeout=30)


class Zygote:
    """The preloaded process, driven from a test: spawn(program, args, log) forks a child."""

    def __init__(self, env: dict[str, str], log_path: Path):
        with open(log_path, "a") as log:
            self.popen = subprocess.Popen([sys.executable, "-m", "tests.support.zygote"], env=env, cwd=ROOT, stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=log, text=True)
        self.log_path = log_path
        self.ready = False  # it preloads while the caller prepares the database

    def spawn(self, program: str, args: list[str], log_path: Path) -> Child:
        """Fork `registry ARGS` (program "registry") or `crash_writer ARGS`, output to log_path."""
        if not self.ready:
            assert self.popen.stdout.readline().strip() == "ready", f"the zygote did not start; see {self.log_path}"
            self.ready = True
        self.popen.stdin.write(json.dumps({"program": program, "args": args, "log": str(log_path)}) + "\n")
        self.popen.stdin.flush()
        answer = self.popen.stdout.readline()
        assert answer.strip().isdigit(), "the zygote stopped"
        return Child(int(answer), log_path)

    def close(self) -> None:
        """Let it end (children in their own sessions are not affected)."""
        self.popen.stdin.close()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


def _reap(*_: object) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        log = _logs.pop(pid, None)
        if log:
            code = os.waitstatus_to_exitcode(status)
            Path(f"{log}.exit").write_text(str(code))


def _child(program: str, args: list[str], log: str) -> None:
    """Run one command in this forked process; never returns."""
    code = 1
    try:
        os.setsid()
        output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        if program == "registry":
            from registry.cli import main

            main(args, prog_name="registry")
        else:
            from tests.support.crash_writer import main as writer

            writer(args)
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    except BaseException:  # noqa: B036 - whatever it was, the child must end here, not return into the zygote's loop
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    """Preload, say ready, then fork one child per request line."""
    import uvicorn  # noqa: F401 - preloaded for `registry serve`

    import registry.app  # noqa: F401
    import registry.cli  # noqa: F401
    import registry.services.imports.plan  # noqa: F401
    import registry.services.staff.users  # noqa: F401
    import tests.support.crash_writer  # noqa: F401

    signal.signal(signal.SIGCHLD, _reap)
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        # Blocked while forking, so a child that ends at once is reaped only once its log is known.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            _child(request["program"], request["args"], request["log"])
        _logs[pid] = request["log"]
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
        print(pid, flush=True)


if __name__ == "__main__":
    main()
