"""Running the registry: migrations, the server, backup and restore, the audit chain check."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

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
    if settings.public_url and (mismatch := public_url_mismatch(settings.public_url, host, port)):
        click.echo(f"warning: {mismatch}", err=True)
    # Forwarded headers count only from the proxies named in REGISTRY_TRUSTED_PROXIES (uvicorn's own default trusts 127.0.0.1).
    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=bool(settings.trusted_proxies),
                forwarded_allow_ips=list(settings.trusted_proxies) or None, log_level="info", access_log=False)


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def public_url_mismatch(public_url: str, host: str, port: int) -> str | None:
    """Why REGISTRY_PUBLIC_URL cannot be this server's own address, when it names this machine but not this host and port."""
    parts = urlsplit(public_url)
    named_host = parts.hostname or ""
    try:
        named_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"REGISTRY_PUBLIC_URL {public_url} has no valid port"
    # A public name (a reverse proxy's) is not checked: only an address of this machine can disagree with the socket.
    if (named_host in LOOPBACK or named_host == host) and named_port != port:
        return (f"REGISTRY_PUBLIC_URL is {public_url} but this server listens on {host}:{port}; tokens, receipts and the "
                f"OAuth metadata name {public_url} (leave REGISTRY_PUBLIC_URL unset to use each request's own address)")
    return None


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
@click.option("--anchor", "anchor_source", metavar="FILE_OR_URL",
              help="A signed anchor kept earlier (a file, or the URL of /open-data/audit-anchor.json): the chain must still begin with it.")
def audit_verify(anchor_source: str | None) -> None:
    """Check the audit chain with its key, every decision and record row against the event that wrote it, and an anchor."""
    from registry.services.audit_anchor import AnchorError
    from registry.services.audit_check import check_audit
    from registry.services.sql import reading

    settings = Settings.from_env()
    try:
        anchor = _read_anchor(anchor_source, settings) if anchor_source else None
    except AnchorError as problem:
        raise click.ClickException(f"anchor {anchor_source}: {problem}") from None

    async def check(engine: Any) -> Any:
        async with reading(engine) as reader:
            return await check_audit(reader, settings.chain_key_file, rows=True, anchor=anchor)

    verdict = run(check)
    lines = [*verdict.problems]
    if verdict.broken:
        lines.append(f"audit chain BROKEN at event ids {verdict.broken[:20]} ({len(verdict.broken)} of {verdict.events} events): "
                     f"first changed event {verdict.broken[0]}")
    lines.extend(problem.message() for problem in verdict.row_problems[:20])
    if len(verdict.row_problems) > 20:
        lines.append(f"... and {len(verdict.row_problems) - 20} more rows")
    if lines:
        for line in lines:
            click.echo(line, err=True)
        click.echo(f"audit chain FAILED: {verdict.events} events, {verdict.rows_checked} rows checked", err=True)
        raise SystemExit(1)
    anchored = f"; it begins with the anchor of {anchor.issued_at} ({anchor.events} events)" if anchor else ""
    click.echo(f"audit chain intact: {verdict.events} events ({verdict.keyed_events} keyed), {verdict.rows_checked} rows match their events "
               f"({verdict.rows_before_keyed_chain} unchanged since before the keyed chain){anchored}")


def _read_anchor(source: str, settings: Settings) -> Any:
    """The claims of the anchor in a file or at a URL, checked with the registry's keys (and the URL's own JWKS)."""
    import httpx
    from joserfc.jwk import ECKey

    from registry.services.audit_anchor import AnchorError, read_anchor
    from registry.services.verification.signing import KeyRing

    keys: dict[str, ECKey] = {}
    if settings.key_file.exists():
        ring = KeyRing.load(settings.key_file, settings.retired_key_days)
        keys.update({key.kid: key.key for key in ring.keys})
    try:
        if source.startswith(("http://", "https://")):
            response = httpx.get(source, timeout=30, follow_redirects=True)
            response.raise_for_status()
            text = response.text
            jwks = httpx.get(str(response.url.copy_with(path="/.well-known/jwks.json", query=None)), timeout=30)
            if jwks.status_code == 200:
                for entry in jwks.json().get("keys", []):
                    keys.setdefault(str(entry.get("kid")), ECKey.import_key(entry))
        else:
            text = Path(source).read_text()
    except (OSError, httpx.HTTPError, ValueError) as problem:
        raise AnchorError(f"could not be read: {problem}") from None
    return read_anchor(text, keys.get)
