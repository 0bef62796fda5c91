"""Invitation links for local staff accounts: issued and re-issued by an administrator, used once by their holder to choose a password.

Only the SHA-256 of a link's token is stored: the link is shown once, and whoever reads the
database cannot use an open one. A link works for 72 hours, for an active account that has no
password yet; using it sets the password and closes it, and a new link closes the one before.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from piccolo.engine.base import Engine

from registry.clock import utc_now
from registry.messages import N_
from registry.roles import Role
from registry.services.audit import Actor, AuditAction, AuditEntry, record_events
from registry.services.errors import NotFound, Refusal, ValidationFailed
from registry.services.sql import Writer, reading, writing
from registry.services.staff import queries
from registry.services.staff.users import chosen_password_errors, insert_account, password_hasher, profile_errors

VALID_SECONDS = 72 * 3600
PATH = "/admin/uitnodiging/"
# What `secrets.token_urlsafe(32)` gives: anything else is no link of ours and needs no database to refuse.
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True, slots=True)
class Invitation:
    """A new link's token (shown this once) and until when it works."""

    user_id: int
    username: str
    token: str
    expires_at: dt.datetime

    @property
    def path(self) -> str:
        """The link's path on the registry's site."""
        return PATH + self.token


@dataclass(frozen=True, slots=True)
class InvitedAccount:
    """The account an open link is for, as its page names it."""

    user_id: int
    username: str
    display_name: str
    role: str


class InvitationGone(Exception):
    """The link does not work: `expired` when its time ran out; otherwise unknown, used, replaced, or its account disabled."""

    def __init__(self, expired: bool):
        super().__init__("invitation expired" if expired else "no open invitation")
        self.expired = expired


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _moment(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


def _new_link(now: float | None) -> tuple[str, str, int]:
    """A 256-bit random token, its hash and its expiry (epoch seconds)."""
    token = secrets.token_urlsafe(32)
    return token, _hash(token), int(time.time() if now is None else now) + VALID_SECONDS


def no_new_link(awaiting_password: bool, active: bool) -> str | None:
    """Why an account cannot be given a (new) invitation link (a message id), or None when it can."""
    if not awaiting_password:
        return N_("This account has a password or signs in with the organisation's account: it needs no invitation link.")
    if not active:
        return N_("This account is disabled. Enable it first, then make a new invitation link.")
    return None


async def invite_account(engine: Engine, actor: Actor, username: str, display_name: str, email: str, role: str,
                         now: float | None = None) -> Invitation:
    """A new local account without a password, and the link with which its holder chooses one."""
    errors = profile_errors(username, display_name, email, role, None)
    if errors:
        raise ValidationFailed(errors)
    username = username.strip().lower()
    token, token_hash, expires = _new_link(now)
    moment = utc_now()
    async with writing(engine) as writer:
        user_id = await insert_account(writer, actor, moment, username, display_name.strip(), email.strip() or None, role, None,
                                       invitation=(token_hash, expires))
        await record_events(writer, actor, [AuditEntry(AuditAction.INVITATION_ISSUE, "staff_user", username, None,
                                                       {"valid_until": _moment(expires)})], moment)
    return Invitation(user_id, username, token, _moment(expires))


async def reissue(engine: Engine, actor: Actor, user_id: int, now: float | None = None) -> Invitation:
    """A new link for an active account that has not chosen its password; the link before it stops working at once."""
    token, token_hash, expires = _new_link(now)
    moment = utc_now()
    async with writing(engine) as writer:
        row = await writer.fetch_one(queries.INVITATION_OF_USER, user_id)
        if row is None:
            raise NotFound(f"no staff user {user_id}")
        refusal = no_new_link(row["password_hash"] is None and row["oidc_subject"] is None, bool(row["active"]))
        if refusal:
            raise Refusal(refusal)
        await writer.execute(queries.SET_INVITATION, token_hash, expires, user_id)
        before = {"valid_until": _moment(row["invitation_expires_at"]) if row["invitation_expires_at"] is not None else None}
        await record_events(writer, actor, [AuditEntry(AuditAction.INVITATION_REISSUE, "staff_user", row["username"], before,
                                                       {"valid_until": _moment(expires)})], moment)
    return Invitation(user_id, row["username"], token, _moment(expires))


async def _open(reader: Writer, token: str, now: float | None) -> dict[str, Any]:
    """The account row of an open link; InvitationGone otherwise."""
    row = await reader.fetch_one(queries.USER_BY_INVITATION, _hash(token)) if TOKEN.fullmatch(token) else None
    # A disabled account's link reads as unknown: the page must not tell a finder which accounts exist or are disabled.
    if row is None or not row["active"] or row["password_hash"] is not None or row["invitation_expires_at"] is None:
        raise InvitationGone(expired=False)
    if (time.time() if now is None else now) >= row["invitation_expires_at"]:
        raise InvitationGone(expired=True)
    return row


async def open_invitation(engine: Engine, token: str, now: float | None = None) -> InvitedAccount:
    """Whose account an open link is for; InvitationGone when it does not work. Reads only: opening the link never uses it."""
    async with reading(engine) as reader:
        row = await _open(reader, token, now)
    return InvitedAccount(row["id"], row["username"], row["display_name"], row["role"])


async def accept(engine: Engine, token: str, password: str, repeated: str, address: str, now: float | None = None) -> dict[str, Any]:
    """Set the password through an open link, which closes it; returns the account to sign in. Audited as its holder."""
    await open_invitation(engine, token, now)  # a dead link costs no password hash
    if errors := chosen_password_errors(password, repeated):
        raise ValidationFailed(errors)
    # Off the event loop and before the write lock: argon2 is slow on purpose.
    password_hash = await asyncio.to_thread(password_hasher.hash, password)
    moment = utc_now()
    async with writing(engine) as writer:
        # Again inside the write lock: of two uses at once, or a use racing a new link or a disabling, only one wins.
        row = await _open(writer, token, now)
        if await writer.fetch_one(queries.ACCEPT_INVITATION, password_hash, False, row["id"], _hash(token)) is None:
            raise InvitationGone(expired=False)
        holder = Actor(f"user:{row['username']}", Role(row["role"]), address)
        await record_events(writer, holder, [AuditEntry(AuditAction.INVITATION_ACCEPT, "staff_user", row["username"],
                                                        {"valid_until": _moment(row["invitation_expires_at"])},
                                                        {"password": "chosen by its holder"})], moment)
    return {"id": row["id"], "username": row["username"], "display_name": row["display_name"], "role": row["role"]}
