"""Running the registry: migrations, the server, backup and restore, the audit chain check."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Callable

import click

from registry.cli.base import main, run
from registry.settings import Settings


@main.command()
def migrate() -> None:
    """Apply database migrations (safe to run again)."""
    run(lambda engine: asyncio.sleep(0))
    click.echo("database is up to date")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the registry over HTTP."""
    import uvicorn

    from registry.app import create_app

    run(lambda engine: asyncio.sleep(0))
    # No per-request access log: it costs a third of the throughput; the reverse proxy keeps one.
    settings = Settings.from_env()
    # Forwarded headers count only from the proxies named in REGISTRY_TRUSTED_PROXIES (uvicorn's own default trusts 127.0.0.1).
    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=bool(settings.trusted_proxies),
                forwarded_allow_ips=list(settings.trusted_proxies) or None, log_level="info", access_log=False)


@main.command(name="backup")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
def backup_command(dest: Path, force: bool) -> None:
    """Write a consistent copy of the database to DEST while the registry keeps running."""
    from registry.backup import backup

    _copy_and_report(backup, dest, force, broken="backup written, but the audit chain is")


@main.command(name="restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds records.")
def restore_command(source: Path, force: bool) -> None:
    """Restore a backup into the database, then apply migrations and check the audit chain."""
    from registry.backup import restore

    _copy_and_report(restore, source, force, broken="the restored audit chain is",
                     note="restored: restart every `registry serve` on this database, whose in-memory indexes predate the restore")


def _copy_and_report(copy: Callable[[Settings, Path, bool], dict[str, Any]], path: Path, force: bool, broken: str, note: str = "") -> None:
    """Run a backup or a restore and print its report; a refusal is the command's error, a broken audit chain exits 1."""
    from registry.backup import BackupError

    try:
        report = copy(Settings.from_env(), path, force)
    except BackupError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(json.dumps(report, indent=2))
    if note:
        click.echo(note, err=True)
    if report["audit_chain"] != "intact":
        click.echo(f"{broken} BROKEN at event ids {report['audit_broken_ids']}", err=True)
        raise SystemExit(1)


@main.group()
def audit() -> None:
    """Audit trail tools."""


@audit.command(name="verify")
def audit_verify() -> None:
    """Check the audit trail's hash chain end to end."""
    from registry.services.audit import verify_chain
    from registry.services.sql import reading

    async def check(engine: Any) -> tuple[int, list[int]]:
        async with reading(engine) as reader:
            return await verify_chain(reader)

    count, broken = run(check)
    if broken:
        click.echo(f"audit chain BROKEN at event ids {broken[:20]} ({len(broken)} of {count} events)", err=True)
        raise SystemExit(1)
    click.echo(f"audit chain intact: {count} events")

