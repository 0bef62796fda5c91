"""Staff accounts: local users with argon2-hashed passwords and one role each."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from piccolo.engine.base import Engine

from registry.services.audit import Actor, AuditAction, AuditEntry, Role, record_events
from registry.services.errors import FieldError, ValidationFailed
from registry.services.import_write import utc_now
from registry.services.sql import writing

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
        errors.append(FieldError("username", "use 2-150 lower-case letters, digits and . _ @ -"))
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters"))
    if role not in tuple(Role):
        errors.append(FieldError("role", f"must be one of {', '.join(Role)}"))
    if errors:
        raise ValidationFailed(errors)
    moment = utc_now()
    async with writing(engine) as writer:
        if await writer.fetch_one("SELECT id FROM staff_user WHERE username = ?", username):
            raise ValidationFailed([FieldError("username", f"{username} already exists", "duplicate")])
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
