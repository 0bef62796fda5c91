"""The `registry` command: migrate, serve, demo, import, verify, users, API clients, keys, backups, audit."""

from __future__ import annotations

import asyncio
import dataclasses
import getpass
import json
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar

import click

from registry import db
from registry.services.audit import Actor
from registry.services.errors import ValidationFailed
from registry.settings import Settings

T = TypeVar("T")


def run(work: Callable[[Any], Awaitable[T]], settings: Settings | None = None, migrate: bool = True) -> T:
    """Run one database task with the engine the settings choose."""
    settings = settings or Settings.from_env()
    engine = db.bind(db.build_engine(settings))

    async def main() -> T:
        await db.start(engine, pool_size=2)
        try:
            if migrate:
                await db.migrate(engine)
            return await work(engine)
        finally:
            await db.stop(engine)

    return asyncio.run(main())


def report_errors(failure: ValidationFailed) -> None:
    """Every problem on stderr, one per line, with its JSON path."""
    for error in failure.errors:
        click.echo(f"  {error.field}: {error.message}", err=True)


@click.group()
def main() -> None:
    """SMR Accreditation Registry: who and what is accredited, when, and by which decision."""


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
    uvicorn.run(create_app(Settings.from_env()), host=host, port=port, proxy_headers=True, log_level="info", access_log=False)


@main.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report, write nothing.")
def import_command(file: Path, dry_run: bool) -> None:
    """Import a JSON document all-or-nothing (see docs/import.md)."""
    content = file.read_bytes()
    actor = Actor(name=f"import:{file.name}", role=Actor.operator("import").role, source="cli")
    report = _import_with_progress(content, actor, apply=not dry_run, label=file.name)
    click.echo(json.dumps(report, indent=2))


def _import_with_progress(content: bytes, actor: Actor, apply: bool, label: str) -> dict[str, Any]:
    from rich.progress import Progress

    from registry.services.imports.plan import import_document

    with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task(f"importing {label}", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{stage} {label}", completed=done, total=total)

        try:
            report = run(lambda engine: import_document(engine, content, actor, apply=apply, progress=progress))
        except ValidationFailed as failure:
            bar.stop()
            click.echo(f"{label} refused, nothing was written ({len(failure.errors)} problems):", err=True)
            report_errors(failure)
            raise SystemExit(1) from None
    return report.as_dict()


@main.command()
@click.option("--coaches", default=400, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=2026, show_default=True, type=int)
def demo(coaches: int, seed: int) -> None:
    """Load deterministic demo data (safe to run again)."""
    from registry.demo import build_demo_document

    started = time.perf_counter()
    document = json.dumps(build_demo_document(coaches=coaches, seed=seed)).encode()
    report = _import_with_progress(document, Actor("demo", Actor.operator("demo").role, "cli"), apply=True, label="demo data")
    report["seconds"] = round(time.perf_counter() - started, 2)
    click.echo(json.dumps(report, indent=2))


@main.command()
@click.option("--programme", "programme_code", required=True, help="Programme code, e.g. P-000045.")
@click.option("--coach", "coach_registration_number", help="Coach registration number.")
@click.option("--coach-agb", "coach_agb_code", help="Coach AGB code (8 digits).")
@click.option("--date", "service_date", required=True, help="Service date YYYY-MM-DD.")
@click.option("--end-date", "service_end_date", help="Last day of a period YYYY-MM-DD.")
@click.option("--as-known-at", "as_known_at", help="RFC 3339 time: answer as the registry knew it then.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict object.")
def verify(as_json: bool, **fields: str | None) -> None:
    """Verify a claim: was programme P, delivered by coach C, accredited on a date or period?"""
    from registry.services.verification.answer import parse_claim
    from registry.services.verification.answer import verify as verify_claim

    raw = {name: value for name, value in fields.items() if value is not None}
    try:
        claim = parse_claim(raw)
    except ValidationFailed as failure:
        click.echo("invalid claim:", err=True)
        report_errors(failure)
        raise SystemExit(2) from None
    document = run(lambda engine: verify_claim(engine, claim))
    if as_json:
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    verdict = "ACCREDITED" if document["accredited"] else "REJECTED"
    click.echo(f"{verdict}: programme {claim.programme_code}, coach {raw.get('coach_registration_number') or raw.get('coach_agb_code')}")
    for reason in document["reasons"]:
        click.echo(f"  {reason['code']} on {reason['on']}")


@main.command(name="create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["viewer", "editor", "admin"]), required=True)
@click.option("--display-name", default="")
@click.option("--email", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(username: str, role: str, display_name: str, email: str | None, password_stdin: bool) -> None:
    """Create a local staff account."""
    from registry.services.staff.users import create_user as create

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise click.ClickException("the passwords differ")
    try:
        run(lambda engine: create(engine, Actor.operator("create-user"), username, password, role, display_name, email))
    except ValidationFailed as failure:
        report_errors(failure)
        raise SystemExit(1) from None
    click.echo(f"created {role} {username.strip().lower()}")


@main.command(name="create-client")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help='Print {"client_id", "client_secret"} as JSON.')
def create_client(name: str, as_json: bool) -> None:
    """Register a billing system; its secret is shown this once."""
    from registry.services.staff.clients import create_client as create

    try:
        credentials = run(lambda engine: create(engine, Actor.operator("create-client"), name))
    except ValidationFailed as failure:
        report_errors(failure)
        raise SystemExit(1) from None
    _print_credentials(credentials, as_json)


@main.command(name="rotate-client-secret")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True, help='Print {"client_id", "client_secret"} as JSON.')
def rotate_client_secret(client_id: str, as_json: bool) -> None:
    """Give a client a new secret; the old one stops working at once."""
    from registry.services.errors import NotFound
    from registry.services.staff.clients import rotate_secret

    try:
        credentials = run(lambda engine: rotate_secret(engine, Actor.operator("rotate-client-secret"), client_id))
    except NotFound as missing:
        raise click.ClickException(str(missing)) from None
    _print_credentials(credentials, as_json)


@main.command(name="disable-client")
@click.argument("client_id")
def disable_client(client_id: str) -> None:
    """Disable a client: no new tokens, and its tokens stop working."""
    from registry.services.errors import NotFound
    from registry.services.staff.clients import disable_client as disable

    try:
        run(lambda engine: disable(engine, Actor.operator("disable-client"), client_id))
    except NotFound as missing:
        raise click.ClickException(str(missing)) from None
    click.echo(f"disabled {client_id}")


def _print_credentials(credentials: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"client_id": credentials.client_id, "client_secret": credentials.client_secret}))
        return
    click.echo(f"client_id:     {credentials.client_id}")
    click.echo(f"client_secret: {credentials.client_secret}")
    click.echo("Store the secret now: the registry keeps only a hash of it and cannot show it again.")


@main.command(name="rotate-signing-key")
def rotate_signing_key() -> None:
    """Start signing with a new key; the old public key stays in the JWKS (running instances follow within a second)."""
    import datetime as dt

    from registry.services.verification.signing import KeyRing

    settings = Settings.from_env()
    ring = KeyRing.load_or_create(settings.key_file, settings.retired_key_days)
    rotated = ring.rotated(dt.datetime.now(dt.timezone.utc))
    rotated.save(settings.key_file)
    click.echo(f"signing with {rotated.active.kid}; {ring.active.kid} retired, published for {settings.retired_key_days} more days")


@main.command(name="open-data")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def open_data(directory: Path) -> None:
    """Write the open-data files (registry.json and a CSV per subject kind) into DIRECTORY."""
    from registry.services.public.open_data import export

    started = time.perf_counter()
    manifest = run(lambda engine: export(engine, directory))
    click.echo(json.dumps({**dataclasses.asdict(manifest), "seconds": round(time.perf_counter() - started, 2)}, indent=2))


@main.command(name="backup")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
def backup_command(dest: Path, force: bool) -> None:
    """Write a consistent copy of the database to DEST while the registry keeps running."""
    from registry.backup import BackupError, backup

    try:
        report = backup(Settings.from_env(), dest, force)
    except BackupError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(json.dumps(report, indent=2))
    if report["audit_chain"] != "intact":
        click.echo(f"backup written, but the audit chain is BROKEN at event ids {report['audit_broken_ids']}", err=True)
        raise SystemExit(1)


@main.command(name="restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds records.")
def restore_command(source: Path, force: bool) -> None:
    """Restore a backup into the database, then apply migrations and check the audit chain."""
    from registry.backup import BackupError, restore

    try:
        report = restore(Settings.from_env(), source, force)
    except BackupError as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(json.dumps(report, indent=2))
    click.echo("restored: restart every `registry serve` on this database, whose in-memory indexes predate the restore", err=True)
    if report["audit_chain"] != "intact":
        click.echo(f"the restored audit chain is BROKEN at event ids {report['audit_broken_ids']}", err=True)
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


if __name__ == "__main__":
    main()
