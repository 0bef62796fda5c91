"""API clients (billing systems): create, rotate a secret, disable; only secret hashes are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from piccolo.engine.base import Engine

from registry.clock import utc_now
from registry.messages import N_
from registry.services.audit import Actor, AuditAction, AuditEntry, record_events
from registry.services.errors import FieldError, NotFound, ValidationFailed
from registry.services.sql import Writer, writing
from registry.services.staff import queries
from registry.services.values import refuse_unsafe, refused

MAX_NAME_LENGTH = 200


def hash_secret(secret: str) -> str:
    """SHA-256 of a secret: enough for 256 random bits, and fast enough for every token request."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """What authentication needs of a client."""

    id: int
    client_id: str
    name: str
    secret_hash: str
    active: bool

    def check_secret(self, secret: str) -> bool:
        """True when `secret` is this client's current secret (constant time)."""
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))


@dataclass(frozen=True, slots=True)
class NewCredentials:
    """A client id and a secret, shown once."""

    client_id: str
    client_secret: str


async def load_clients(reader: Writer) -> dict[str, ClientRecord]:
    """Every client by client_id."""
    rows = await reader.fetch_all(queries.CLIENT_CREDENTIALS)
    return {row["client_id"]: ClientRecord(row["id"], row["client_id"], row["name"], row["secret_hash"], bool(row["active"])) for row in rows}


async def create_client(engine: Engine, actor: Actor, name: str) -> NewCredentials:
    """Register a billing system; the secret is returned here and never again."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed([FieldError.said("name", N_("give a name of 1 to %(limit)d characters"), limit=MAX_NAME_LENGTH)])
    if errors := list(refused("name", refuse_unsafe, name)):
        raise ValidationFailed(errors)
    credentials = NewCredentials(f"smr-{secrets.token_hex(8)}", secrets.token_urlsafe(32))
    moment = utc_now()
    async with writing(engine) as writer:
        [row_id] = await writer.allocate_ids("api_client", 1)
        await writer.insert_many(
            "api_client",
            [
                {
                    "id": row_id,
                    "client_id": credentials.client_id,
                    "name": name,
                    "secret_hash": hash_secret(credentials.client_secret),
                    "active": True,
                    "created_at": moment,
                }
            ],
        )
        after = {"client_id": credentials.client_id, "name": name, "active": True}
        entry = AuditEntry(AuditAction.API_CLIENT_CREATE, "api_client", credentials.client_id, None, after)
        await record_events(writer, actor, [entry], moment)
    return credentials


async def rotate_secret(engine: Engine, actor: Actor, client_id: str) -> NewCredentials:
    """Give a client a new secret; the old one stops working at once (tokens already issued stay valid)."""
    secret = secrets.token_urlsafe(32)
    moment = utc_now()
    async with writing(engine) as writer:
        client = await _existing(writer, client_id)
        await writer.execute(queries.SET_SECRET_HASH, hash_secret(secret), client["id"])
        state = {"client_id": client_id, "name": client["name"], "active": bool(client["active"])}
        entry = AuditEntry(AuditAction.API_CLIENT_ROTATE_SECRET, "api_client", client_id, state, state)
        await record_events(writer, actor, [entry], moment)
    return NewCredentials(client_id, secret)


async def disable_client(engine: Engine, actor: Actor, client_id: str) -> None:
    """Stop a client: no new tokens, and its current tokens are refused from now on."""
    moment = utc_now()
    async with writing(engine) as writer:
        client = await _existing(writer, client_id)
        if not client["active"]:
            return
        await writer.execute(queries.DISABLE_CLIENT, False, moment, client["id"])
        before = {"client_id": client_id, "name": client["name"], "active": True}
        entry = AuditEntry(AuditAction.API_CLIENT_DISABLE, "api_client", client_id, before, {**before, "active": False})
        await record_events(writer, actor, [entry], moment)


async def _existing(writer: Writer, client_id: str) -> dict:
    client = await writer.fetch_one(queries.CLIENT_BY_CLIENT_ID, client_id)
    if client is None:
        raise NotFound(f"no API client {client_id}")
    return client
