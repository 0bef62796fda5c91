"""Staff accounts: local users with argon2-hashed passwords and one role each."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from piccolo.engine.base import Engine

from registry.clock import utc_now
from registry.messages import N_
from registry.roles import Role
from registry.services.audit import Actor, AuditAction, AuditEntry, record_events
from registry.services.errors import FieldError, NotFound, ValidationFailed
from registry.services.sql import Writer, reading, writing
from registry.services.staff import queries
from registry.services.values import EMAIL, escaped, refuse_unsafe, refused, unsafe_character

MAX_USERNAME = 150
MAX_DISPLAY_NAME = 200
MAX_EMAIL = 254
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,149}")
MIN_PASSWORD_LENGTH = 12
password_hasher = PasswordHasher()


def chosen_password_errors(password: str, repeated: str | None = None, field: str = "password",
                           repeat_message: str = N_("is not the same as the password"), current: str | None = None) -> list[FieldError]:
    """The rules for every password staff choose: at least MIN_PASSWORD_LENGTH characters, not the `current` one, and
    (when `repeated` is given) typed the same twice, the repeat named `<field>_repeat`."""
    errors = []
    if len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError.said(field, N_("must be at least %(limit)d characters"), limit=MIN_PASSWORD_LENGTH))
    elif current is not None and password == current:
        errors.append(FieldError.said(field, N_("must differ from the current password")))
    if repeated is not None and password != repeated:
        errors.append(FieldError.said(f"{field}_repeat", repeat_message))
    return errors


def _account_errors(username: str, password: str | None, role: str) -> list[FieldError]:
    """What is wrong with a new local account's username, password (None: it gets an invitation link instead) and role."""
    errors = []
    if not USERNAME.fullmatch(username):
        errors.append(FieldError.said("username", N_("use 2-150 lower-case letters, digits and . _ @ -")))
    if password is not None:
        errors.extend(chosen_password_errors(password))
    if role not in tuple(Role):
        errors.append(FieldError.said("role", N_("must be one of %(options)s"), options=", ".join(Role)))
    return errors


def profile_errors(username: str, display_name: str, email: str, role: str, password: str | None) -> list[FieldError]:
    """What the staff form's account fields break: the account checks, the name's length, unsafe characters, the e-mail address."""
    errors = _account_errors(username.strip().lower(), password, role)
    if len(display_name.strip()) > MAX_DISPLAY_NAME:
        errors.append(FieldError.said("display_name", N_("use at most %(limit)d characters"), limit=MAX_DISPLAY_NAME))
    for name, value in (("display_name", display_name), ("email", email)):
        errors.extend(refused(name, refuse_unsafe, value))
    if email.strip() and (len(email.strip()) > MAX_EMAIL or not EMAIL.fullmatch(email.strip())):
        errors.append(FieldError.said("email", N_("must be an e-mail address")))
    return errors


async def create_user(
    engine: Engine, actor: Actor, username: str, password: str, role: str, display_name: str = "", email: str | None = None,
    one_time: bool = False,
) -> int:
    """Create a local staff account; returns its id. A `one_time` password must be replaced at the first sign-in."""
    username = username.strip().lower()
    errors = _account_errors(username, password, role)
    if errors:
        raise ValidationFailed(errors)
    # Hashed before the write lock is taken and off the event loop: argon2 takes ~0.15 s of CPU on purpose.
    password_hash = await asyncio.to_thread(password_hasher.hash, password)
    moment = utc_now()
    async with writing(engine) as writer:
        return await insert_account(writer, actor, moment, username, display_name, email, role, password_hash, one_time=one_time)


async def insert_account(
    writer: Writer, actor: Actor, moment: dt.datetime, username: str, display_name: str, email: str | None, role: str,
    password_hash: str | None, one_time: bool = False, invitation: tuple[str, int] | None = None,
) -> int:
    """Write a checked local account and its audit event in the caller's transaction; `invitation` is (token hash, expiry)."""
    if await writer.fetch_one(queries.USER_ID_BY_USERNAME, username):
        raise ValidationFailed([FieldError.said("username", N_("%(username)s already exists"), "duplicate", username=username)])
    [user_id] = await writer.allocate_ids("staff_user", 1)
    row = {
        "id": user_id,
        "username": username,
        "display_name": display_name or username,
        "email": email,
        "role": role,
        "password_hash": password_hash,
        "active": True,
        "created_at": moment,
        "must_change_password": one_time,
    }
    if invitation is not None:
        row["invitation_hash"], row["invitation_expires_at"] = invitation
    await writer.insert_many("staff_user", [row])
    after = {"username": username, "display_name": display_name or username, "email": email, "role": role}
    if one_time:
        after["must_change_password"] = True
    await record_events(writer, actor, [AuditEntry(AuditAction.STAFF_USER_CREATE, "staff_user", username, None, after)], moment)
    return user_id


# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_UNKNOWN_USER_HASH = password_hasher.hash("no such user: the answer must take as long as for a real one")


async def authenticate(engine: Engine, username: str, password: str) -> dict | None:
    """The active local account with this username and password, or None."""
    row = None
    if unsafe_character(username.strip()) is None:  # no account has such a name, and PostgreSQL cannot even compare NUL
        async with reading(engine) as reader:
            row = await reader.fetch_one(queries.LOCAL_ACCOUNT_BY_USERNAME, username.strip().lower())
    try:
        # In a thread: a sign-in must not stall every other request for the length of a deliberately slow hash.
        await asyncio.to_thread(password_hasher.verify, row["password_hash"] if row and row["password_hash"] else _UNKNOWN_USER_HASH, password)
    except (VerifyMismatchError, InvalidHashError, VerificationError):
        return None
    if row is None or not row["password_hash"] or not row["active"]:
        return None
    return row


async def record_refused_sign_in(engine: Engine, typed_username: str, address: str) -> None:
    """A wrong username or password, in the audit trail: the name as typed (escaped, cut to a username's length), never the password."""
    # Escaped: PostgreSQL refuses NUL in text, and a control character must not disguise the name on the audit page.
    entry = AuditEntry(AuditAction.SIGN_IN_REFUSE, "staff_user", escaped(typed_username)[:MAX_USERNAME], None, {"method": "password"})
    async with writing(engine) as writer:
        await record_events(writer, Actor("visitor", None, address), [entry], utc_now())


async def oidc_staff_member(engine: Engine, subject: str, claims: dict, mapped_role: str | None, source: str) -> dict | None:
    """The staff member behind an OIDC sign-in: found by subject (or created); None when no role applies.

    A role from the claim mapping wins and is kept up to date; without one, the role an admin
    assigned stays. Nobody without a role gets in.
    """
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    moment = utc_now()
    async with writing(engine) as writer:
        row = await writer.fetch_one(queries.USER_BY_OIDC_SUBJECT, subject)
        if row is None:
            if mapped_role is None:
                return None
            username = (email or subject).lower()[:150]
            if await writer.fetch_one(queries.USER_ID_BY_USERNAME, username):
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
            await writer.execute(queries.SET_ROLE, mapped_role, row["id"])
            await record_events(writer, Actor(f"oidc:{subject}", Role(mapped_role), source),
                                [AuditEntry(AuditAction.STAFF_USER_UPDATE, "staff_user", row["username"], {"role": row["role"]}, {"role": mapped_role})],
                                moment)
            row = {**row, "role": mapped_role}
        return row if row["role"] else None


# Staff management in the admin UI: the list, new local accounts, roles and disabling.


async def staff_members(engine: Engine) -> list[dict[str, Any]]:
    """Every staff account, with how it signs in and when it last did (written at each sign-in)."""
    async with reading(engine) as reader:
        rows = await reader.fetch_all(queries.STAFF_MEMBERS)
    return [_member(row) for row in rows]


async def staff_member(engine: Engine, user_id: int) -> dict[str, Any]:
    """One staff account as the list shows it; NotFound when there is none."""
    for member in await staff_members(engine):
        if member["id"] == user_id:
            return member
    raise NotFound(f"no staff user {user_id}")


def _member(row: dict[str, Any]) -> dict[str, Any]:
    # SQLite hands booleans back as 0/1.
    oidc = row["oidc_subject"] is not None
    expires = row.pop("invitation_expires_at")
    return {
        **row, "active": bool(row["active"]), "oidc": oidc,
        # A local account without a password waits for its invitation link to be used (a new one may be issued).
        "awaiting_password": bool(row.pop("without_password")) and not oidc,
        "invitation_until": dt.datetime.fromtimestamp(expires, dt.timezone.utc) if expires is not None else None,
        "invitation_open": expires is not None and time.time() < expires,
    }


async def create_local_account(
    engine: Engine, actor: Actor, username: str, display_name: str, email: str, role: str, password: str, repeated: str
) -> int:
    """A local account from the staff form: the account checks, the e-mail address and the password typed twice."""
    errors = profile_errors(username, display_name, email, role, password)
    if password != repeated:
        errors.append(FieldError.said("password_repeat", N_("is not the same as the password")))
    if errors:
        raise ValidationFailed(errors)
    # An administrator chose this password: its holder replaces it at the first sign-in, so only they know theirs.
    return await create_user(engine, actor, username, password, role, display_name.strip(), email.strip() or None, one_time=True)


async def change_own_password(engine: Engine, actor: Actor, user_id: int, current: str, new: str, repeated: str) -> None:
    """A staff member sets their own password: the current one first, then a new one (not the same) typed twice."""
    async with reading(engine) as reader:
        row = await reader.fetch_one(queries.PASSWORD_OF_USER, user_id)
    if row is None:
        raise NotFound(f"no staff user {user_id}")
    errors: list[FieldError] = []
    try:
        # In a thread: argon2 is slow on purpose.
        await asyncio.to_thread(password_hasher.verify, row["password_hash"] or _UNKNOWN_USER_HASH, current)
        known = bool(row["password_hash"])
    except (VerifyMismatchError, InvalidHashError, VerificationError):
        known = False
    if not known:
        errors.append(FieldError.said("current_password", N_("is not your current password")))
    errors.extend(chosen_password_errors(new, repeated, "new_password", N_("is not the same as the new password"), current=current))
    if errors:
        raise ValidationFailed(errors)
    password_hash = await asyncio.to_thread(password_hasher.hash, new)
    moment = utc_now()
    async with writing(engine) as writer:
        await writer.execute(queries.SET_PASSWORD, password_hash, False, user_id)
        await record_events(writer, actor, [AuditEntry(AuditAction.STAFF_USER_UPDATE, "staff_user", row["username"], None,
                                                       {"password": "changed by its holder"})], moment)


async def change_account(engine: Engine, actor: Actor, user_id: int, role: str, active: bool, own_id: int | None) -> dict[str, Any]:
    """Set an account's role and whether it may sign in; returns the fields that changed (empty: none)."""
    if role not in tuple(Role):
        raise ValidationFailed([FieldError.said("role", N_("must be one of %(options)s"), options=", ".join(Role))])
    moment = utc_now()
    async with writing(engine) as writer:
        row = await writer.fetch_one(queries.USER_FOR_CHANGE, user_id)
        if row is None:
            raise NotFound(f"no staff user {user_id}")
        was = {"role": row["role"], "active": bool(row["active"])}
        after = {key: value for key, value in (("role", role), ("active", active)) if was[key] != value}
        if not after:
            return {}
        errors = []
        if user_id == own_id:
            # Refused outright, so that nobody locks themselves (and perhaps the registry) out by a slip.
            if "role" in after:
                errors.append(FieldError.said("role", N_("you cannot change the role of your own account; ask another administrator")))
            if "active" in after:
                errors.append(FieldError.said("active", N_("you cannot disable your own account; ask another administrator")))
        elif was["role"] == Role.ADMIN and was["active"] and (role != Role.ADMIN or not active):
            others = await writer.fetch_row(queries.OTHER_ACTIVE_USERS_WITH_ROLE, str(Role.ADMIN), True, user_id)
            if not others["n"]:
                errors.append(FieldError.said("role" if "role" in after else "active", N_("the registry needs at least one active administrator")))
        if errors:
            raise ValidationFailed(errors)
        await writer.execute(queries.SET_ROLE_AND_ACTIVE, role, active, user_id)
        before = {key: was[key] for key in after}
        await record_events(writer, actor, [AuditEntry(AuditAction.STAFF_USER_UPDATE, "staff_user", row["username"], before, after)], moment)
    return after


async def staff_names(reader: Writer) -> dict[str, str]:
    """Username -> the name people know a staff member by (the username when no name is set), for pages that say who did what."""
    return {row["username"]: row["display_name"] or row["username"] for row in await reader.fetch_all(queries.STAFF_NAMES)}
