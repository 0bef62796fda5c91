"""Staff accounts: local users with argon2-hashed passwords and one role each."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from piccolo.engine.base import Engine

from registry.i18n import N_
from registry.services.audit import Actor, AuditAction, AuditEntry, Role, record_events
from registry.services.errors import FieldError, ValidationFailed
from registry.services.import_write import utc_now
from registry.services.sql import reading, writing

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,149}$")
MIN_PASSWORD_LENGTH = 12
password_hasher = PasswordHasher()


async def create_user(
    engine: Engine, actor: Actor, username: str, password: str, role: str, display_name: str = "", email: str | None = None
) -> int:
    """Create a local staff account; returns its id."""
    username = username.strip().lower()
    errors = []
    if not USERNAME.match(username):
        errors.append(FieldError.said("username", N_("use 2-150 lower-case letters, digits and . _ @ -")))
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError.said("password", N_("must be at least %(limit)d characters"), limit=MIN_PASSWORD_LENGTH))
    if role not in tuple(Role):
        errors.append(FieldError.said("role", N_("must be one of %(options)s"), options=", ".join(Role)))
    if errors:
        raise ValidationFailed(errors)
    moment = utc_now()
    async with writing(engine) as writer:
        if await writer.fetch_one("SELECT id FROM staff_user WHERE username = ?", username):
            raise ValidationFailed([FieldError.said("username", N_("%(username)s already exists"), "duplicate", username=username)])
        [user_id] = await writer.allocate_ids("staff_user", 1)
        await writer.insert_many(
            "staff_user",
            [
                {
                    "id": user_id,
                    "username": username,
                    "display_name": display_name or username,
                    "email": email,
                    "role": role,
                    "password_hash": password_hasher.hash(password),
                    "active": True,
                    "created_at": moment,
                }
            ],
        )
        after = {"username": username, "display_name": display_name or username, "email": email, "role": role}
        await record_events(writer, actor, [AuditEntry(AuditAction.STAFF_USER_CREATE, "staff_user", username, None, after)], moment)
    return user_id


# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_UNKNOWN_USER_HASH = password_hasher.hash("no such user: the answer must take as long as for a real one")


async def authenticate(engine: Engine, username: str, password: str) -> dict | None:
    """The active local account with this username and password, or None."""
    async with reading(engine) as reader:
        row = await reader.fetch_one(
            "SELECT id, username, display_name, role, password_hash, active FROM staff_user WHERE username = ?",
            username.strip().lower(),
        )
    try:
        password_hasher.verify(row["password_hash"] if row and row["password_hash"] else _UNKNOWN_USER_HASH, password)
    except (VerifyMismatchError, InvalidHashError, VerificationError):
        return None
    if row is None or not row["password_hash"] or not row["active"]:
        return None
    return row


async def oidc_staff_member(engine: Engine, subject: str, claims: dict, mapped_role: str | None, source: str) -> dict | None:
    """The staff member behind an OIDC sign-in: found by subject (or created); None when no role applies.

    A role from the claim mapping wins and is kept up to date; without one, the role an admin
    assigned stays. Nobody without a role gets in.
    """
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    moment = utc_now()
    async with writing(engine) as writer:
        row = await writer.fetch_one("SELECT id, username, display_name, role, active FROM staff_user WHERE oidc_subject = ?", subject)
        if row is None:
            if mapped_role is None:
                return None
            username = (email or subject).lower()[:150]
            if await writer.fetch_one("SELECT id FROM staff_user WHERE username = ?", username):
                username = subject.lower()[:150]
            [user_id] = await writer.allocate_ids("staff_user", 1)
            after = {"username": username, "display_name": name or username, "email": email, "role": mapped_role, "oidc_subject": subject}
            await writer.insert_many("staff_user", [{"id": user_id, **after, "password_hash": None, "active": True, "created_at": moment}])
            await record_events(writer, Actor(f"oidc:{subject}", Role(mapped_role), source),
                                [AuditEntry(AuditAction.STAFF_USER_CREATE, "staff_user", username, None, after)], moment)
            return {"id": user_id, "username": username, "display_name": after["display_name"], "role": mapped_role, "active": True}
        if not row["active"]:
            return None
        if mapped_role is not None and mapped_role != row["role"]:
            await writer.execute("UPDATE staff_user SET role = ? WHERE id = ?", mapped_role, row["id"])
            await record_events(writer, Actor(f"oidc:{subject}", Role(mapped_role), source),
                                [AuditEntry(AuditAction.STAFF_USER_UPDATE, "staff_user", row["username"], {"role": row["role"]}, {"role": mapped_role})],
                                moment)
            row = {**row, "role": mapped_role}
        return row if row["role"] else None
