"""Server-side staff sessions in the database, so every instance sees the same ones.

A browser holds only a random session id (in the cookie `registry.auth.sessions` sets); the database keeps its SHA-256.
A visitor gets a session before signing in (for the login form's CSRF token and a pending OIDC
sign-in); signing in always deletes it and starts a new one (no session fixation).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from piccolo.engine.base import Engine

from registry.clock import utc_now
from registry.outages import database_unavailable
from registry.services.audit import Actor, AuditEntry, record_events
from registry.services.sql import reading, writing
from registry.services.staff import queries

# Writing last_seen_at on every request would turn each page view into a write; a minute is precise enough.
TOUCH_AFTER_SECONDS = 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(slots=True)
class StaffSession:
    """One browser's session: who (if signed in), its CSRF token, and a pending OIDC sign-in."""

    token: str
    csrf_token: str
    created_at: int
    last_seen_at: int
    staff_user: int | None = None
    username: str | None = None
    display_name: str | None = None
    role: str | None = None
    pending: dict[str, Any] = field(default_factory=dict)
    must_change_password: bool = False  # signed in with a one-time password: only the password page until it is changed

    @property
    def signed_in(self) -> bool:
        """A staff member with an active account is signed in with this session."""
        return self.staff_user is not None and self.role is not None


class SessionStore:
    """Creates, finds, refreshes and ends sessions."""

    def __init__(self, engine: Engine, idle_seconds: int, absolute_seconds: int, clock=time.time):
        self.engine = engine
        self.idle_seconds = idle_seconds
        self.absolute_seconds = absolute_seconds
        self.clock = clock

    async def start(self, staff_user: int | None = None, address: str = "", pending: dict[str, Any] | None = None,
                    replacing: str | None = None, audit: tuple[Actor, AuditEntry] | None = None) -> StaffSession:
        """A new session with a fresh id; the one it replaces (if any) is deleted in the same transaction."""
        now = int(self.clock())
        session = StaffSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now, now, staff_user, pending=pending or {})
        # Only a sign-in is audited, and audit events are chained: then the write takes the registry's write lock.
        async with writing(self.engine, serialise=audit is not None) as writer:
            if audit is not None:
                moment = utc_now()
                await record_events(writer, audit[0], [audit[1]], moment)
                if staff_user is not None:
                    await writer.execute(queries.NOTE_SIGN_IN, moment, staff_user)
            if replacing:
                await writer.execute(queries.DELETE_SESSION, _hash(replacing))
            await writer.execute(
                queries.INSERT_SESSION,
                _hash(session.token), staff_user, session.csrf_token, json.dumps(session.pending), now, now, address[:64],
            )
            # Expired sessions go as new ones arrive: no separate clean-up job to forget.
            await writer.execute(
                queries.DELETE_EXPIRED_SESSIONS,
                now - self.idle_seconds, now - self.absolute_seconds,
            )
        return session

    async def find(self, token: str | None) -> StaffSession | None:
        """The live session for this id, refreshed; None when unknown, idle too long or too old."""
        if not token or len(token) > 100:
            return None
        now = int(self.clock())
        async with reading(self.engine) as reader:
            row = await reader.fetch_one(
                queries.SESSION_BY_TOKEN_HASH,
                _hash(token),
            )
        if row is None:
            return None
        if now - row["last_seen_at"] > self.idle_seconds or now - row["created_at"] > self.absolute_seconds:
            await self.end(token)
            return None
        session = StaffSession(token, row["csrf_token"], row["created_at"], row["last_seen_at"], row["staff_user"],
                               pending=json.loads(row["pending"] or "{}"))
        if row["staff_user"] is not None:
            if not row["active"]:
                await self.end(token)  # a disabled account's sessions end at once
                return None
            session.username, session.display_name, session.role = row["username"], row["display_name"], row["role"]
            session.must_change_password = bool(row["must_change_password"])
        if now - row["last_seen_at"] >= TOUCH_AFTER_SECONDS:
            try:
                async with writing(self.engine, serialise=False) as writer:
                    await writer.execute(queries.TOUCH_SESSION, now, _hash(token))
                session.last_seen_at = now
            except Exception as error:  # a locked or unreachable database: read on, the next request touches it
                if not database_unavailable(error):
                    raise
        return session

    async def remember(self, session: StaffSession) -> None:
        """Store the session's pending sign-in state."""
        async with writing(self.engine, serialise=False) as writer:
            await writer.execute(queries.SET_SESSION_PENDING, json.dumps(session.pending), _hash(session.token))

    async def end(self, token: str, audit: tuple[Actor, AuditEntry] | None = None) -> None:
        """The session is gone on the server: its id is worthless from now on."""
        async with writing(self.engine, serialise=audit is not None) as writer:
            if audit is not None:
                await record_events(writer, audit[0], [audit[1]], utc_now())
            await writer.execute(queries.DELETE_SESSION, _hash(token))

    async def end_all_of(self, staff_user: int, keep: str | None = None) -> None:
        """Every session of one staff member (account disabled or role taken away), but the one `keep` names (a new password)."""
        async with writing(self.engine, serialise=False) as writer:
            if keep is None:
                await writer.execute(queries.DELETE_SESSIONS_OF_USER, staff_user)
            else:
                await writer.execute(queries.DELETE_OTHER_SESSIONS_OF_USER, staff_user, _hash(keep))
