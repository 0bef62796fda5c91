"""The crash test's processes: `setup` (migrate, coaches, an editor) and `write` (decisions straight through the import service).

    python -m tests.support.crash_writer setup
    python -m tests.support.crash_writer write LOG PREFIX

Both use REGISTRY_DATABASE_URL like the `registry` command. `write` waits for the file LOG.go,
then records coach grants until it is killed, appending each reference to LOG only after
import_document has returned, i.e. after the commit: a line in LOG is a write the registry acknowledged.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
from typing import Any

from registry.services.audit import Actor

COACHES = tuple(f"C-9{number:05d}" for number in range(1, 9))
EDITOR = "editor"
PASSWORD = "correct horse battery staple"
WRITER = Actor("crash-writer", Actor.operator("crash-writer").role, "cli")


def coaches_document() -> dict[str, Any]:
    """Coaches for the writers to record decisions on (no decisions yet: every decision stored is a writer's)."""
    return {"coaches": [{"registration_number": code, "initials": "K.", "surname": f"Crash {code}", "city": "Utrecht"} for code in COACHES]}


def decision(code: str, reference: str) -> dict[str, Any]:
    """One coach grant, as an import document."""
    return {"decisions": [{"subject": "coach", "code": code, "kind": "grant", "valid_from": "2026-01-01", "reference": reference,
                           "reason": "crash test"}]}


async def setup(engine: Any) -> None:
    """The coaches and a local editor account (the database is migrated by registry.cli.run)."""
    from registry.services.imports.plan import import_document
    from registry.services.staff.users import create_user

    await import_document(engine, json.dumps(coaches_document()), Actor.operator("crash-setup"))
    await create_user(engine, Actor.operator("crash-setup"), EDITOR, PASSWORD, "editor", display_name="Crash Editor")


async def write(engine: Any, log_path: str, prefix: str) -> None:
    """Record decisions for ever; log each reference once its transaction committed."""
    from registry.services.imports.plan import import_document

    # Started alongside the server, but writing only once it is up: a server start is slow enough without competing writes.
    while not os.path.exists(f"{log_path}.go"):
        await asyncio.sleep(0.005)
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    for number in itertools.count():
        code, reference = COACHES[number % len(COACHES)], f"{prefix}-{number}"
        report = await import_document(engine, json.dumps(decision(code, reference)), WRITER)
        assert report.decisions_recorded == 1, report.as_dict()
        # One write(2) per line: a kill leaves whole lines only; no fsync, the reader runs on this machine.
        os.write(log, f"{reference} {code}\n".encode())


def main(argv: list[str]) -> None:
    """Dispatch `setup` or `write LOG PREFIX`."""
    from registry.cli import run

    if argv[:1] == ["setup"]:
        run(setup)
    elif argv[:1] == ["write"] and len(argv) == 3:
        run(lambda engine: write(engine, argv[1], argv[2]), migrate=False)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
