"""Who may use the registry: local staff accounts, billing systems' credentials, the signing key."""

from __future__ import annotations

import getpass
import json
import sys
from typing import Any, Awaitable, Callable, TypeVar

import click

from registry.cli.base import main, run, run_or_refuse
from registry.services.audit import Actor
from registry.settings import Settings

T = TypeVar("T")
# create-client and rotate-client-secret print the credentials the same way.
CREDENTIALS_AS_JSON = click.option("--json", "as_json", is_flag=True, help='Print {"client_id", "client_secret"} as JSON.')


@main.command(name="create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["viewer", "editor", "admin"]), required=True)
@click.option("--display-name", default="")
@click.option("--email", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--invite", is_flag=True, help="No password: print an invitation link (72 hours, once) with which its holder chooses one.")
def create_user(username: str, role: str, display_name: str, email: str | None, password_stdin: bool, invite: bool) -> None:
    """Create a local staff account."""
    from registry.services.staff.invitations import invite_account
    from registry.services.staff.users import create_user as create

    if invite:
        if password_stdin:
            raise click.UsageError("--invite and --password-stdin exclude each other: with a link its holder chooses the password")
        actor = Actor.operator("create-user")
        invitation = run_or_refuse(lambda engine: invite_account(engine, actor, username, display_name, email or "", role))
        click.echo(f"created {role} {invitation.username}, without a password")
        public_url = Settings.from_env().public_url
        if public_url:
            click.echo(f"invitation link: {public_url}{invitation.path}")
        else:
            click.echo(f"invitation link: the site's address (REGISTRY_PUBLIC_URL is not set) followed by {invitation.path}")
        click.echo(f"It works once, until {invitation.expires_at:%Y-%m-%d %H:%M}Z; the registry keeps only a hash of it. "
                   "Send it to the account's holder only.")
        return
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise click.ClickException("the passwords differ")
    run_or_refuse(lambda engine: create(engine, Actor.operator("create-user"), username, password, role, display_name, email))
    click.echo(f"created {role} {username.strip().lower()}")


@main.command(name="create-client")
@click.argument("name")
@CREDENTIALS_AS_JSON
def create_client(name: str, as_json: bool) -> None:
    """Register a billing system; its secret is shown this once."""
    from registry.services.staff.clients import create_client as create

    _print_credentials(run_or_refuse(lambda engine: create(engine, Actor.operator("create-client"), name)), as_json)


@main.command(name="rotate-client-secret")
@click.argument("client_id")
@CREDENTIALS_AS_JSON
def rotate_client_secret(client_id: str, as_json: bool) -> None:
    """Give a client a new secret; the old one stops working at once."""
    from registry.services.staff.clients import rotate_secret

    _print_credentials(_on_client(lambda engine: rotate_secret(engine, Actor.operator("rotate-client-secret"), client_id)), as_json)


@main.command(name="disable-client")
@click.argument("client_id")
def disable_client(client_id: str) -> None:
    """Disable a client: no new tokens, and its tokens stop working."""
    from registry.services.staff.clients import disable_client as disable

    _on_client(lambda engine: disable(engine, Actor.operator("disable-client"), client_id))
    click.echo(f"disabled {client_id}")


def _on_client(work: Callable[[Any], Awaitable[T]]) -> T:
    """run(work) on one client; an unknown client id is the command's error message."""
    from registry.services.errors import NotFound

    try:
        return run(work)
    except NotFound as missing:
        raise click.ClickException(str(missing)) from None


def _print_credentials(credentials: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"client_id": credentials.client_id, "client_secret": credentials.client_secret}))
        return
    click.echo(f"client_id:     {credentials.client_id}")
    click.echo(f"client_secret: {credentials.client_secret}")
    click.echo("Store the secret now: the registry keeps only a hash of it and cannot show it again.")


@main.command(name="rotate-signing-key")
@click.option("--lead-seconds", type=click.IntRange(min=0), default=None,
              help="How long the new key is published before it signs (default: twice the JWKS cache lifetime, 600).")
def rotate_signing_key(lead_seconds: int | None) -> None:
    """Publish a new key now, signing once clients' cached key sets hold it; the old public key stays in the JWKS."""
    import datetime as dt

    from registry.services.verification.signing import KEY_LEAD_SECONDS, KeyRing

    settings = Settings.from_env()
    ring = KeyRing.load_or_create(settings.key_file, settings.retired_key_days)
    now = dt.datetime.now(dt.timezone.utc)
    rotated = ring.rotated(now, KEY_LEAD_SECONDS if lead_seconds is None else lead_seconds)
    rotated.save(settings.key_file)
    new = rotated.keys[-1]
    click.echo(f"published {new.kid}; it signs from {new.starts:%Y-%m-%d %H:%M:%S}Z, when {ring.active.kid} retires "
               f"(published for {settings.retired_key_days} more days)")

