"""API clients as staff see them (status, last use, verifications made), and noting when a client last got a token."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from piccolo.engine.base import Engine

from registry.clock import utc_now
from registry.services.sql import Writer, reading, writing
from registry.services.staff import queries
from registry.services.staff.audit_read import AMSTERDAM

log = logging.getLogger(__name__)
RECENT_DAYS = 30
# Last use to the minute is enough for staff, and spares the database a write at every token request.
USE_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ClientSummary:
    """One billing system on the staff list; never its secret or secret hash."""

    client_id: str
    name: str
    active: bool
    created_at: dt.datetime | None
    disabled_at: dt.datetime | None
    last_used_at: dt.datetime | None
    verifications: int
    recent_verifications: int

    @property
    def created_on(self) -> dt.date | None:
        """The day it was registered, in the Netherlands."""
        return self.created_at.astimezone(AMSTERDAM).date() if self.created_at else None

    @property
    def disabled_on(self) -> dt.date | None:
        """The day it was disabled, in the Netherlands."""
        return self.disabled_at.astimezone(AMSTERDAM).date() if self.disabled_at else None


async def summaries(reader: Writer, now: dt.datetime | None = None, client_id: str | None = None) -> list[ClientSummary]:
    """Every client (or the one asked for), active ones first, with its verifications in all and in the last 30 days."""
    since = (now or utc_now()) - dt.timedelta(days=RECENT_DAYS)
    if client_id is None:
        clients = await reader.fetch_all(queries.CLIENT_SUMMARIES)
        counts = await reader.fetch_all(queries.VERIFICATION_COUNTS, since)
    else:
        clients = await reader.fetch_all(queries.CLIENT_SUMMARY, client_id)
        counts = await reader.fetch_all(queries.VERIFICATION_COUNTS_OF_CLIENT, since, clients[0]["id"]) if clients else []
    by_client = {row["client"]: (int(row["total"]), int(row["recent"] or 0)) for row in counts}
    return [
        ClientSummary(row["client_id"], row["name"], bool(row["active"]), row["created_at"], row["disabled_at"], row["last_used_at"],
                      *by_client.get(row["id"], (0, 0)))
        for row in clients
    ]


async def find(engine: Engine, client_id: str) -> ClientSummary | None:
    """One client by its client_id, or None."""
    if len(client_id) > 64:
        return None
    async with reading(engine) as reader:
        found = await summaries(reader, client_id=client_id)
    return found[0] if found else None


async def note_token_issued(engine: Engine, client_id: str) -> None:
    """Remember when a client last got a token, at most once a minute; a failure here must not cost the client its token."""
    now = utc_now()
    stale = now - USE_RESOLUTION
    try:
        async with reading(engine) as reader:
            row = await reader.fetch_one(queries.CLIENT_LAST_USE, client_id)
        if row is None or (row["last_used_at"] is not None and row["last_used_at"] >= stale):
            return
        # No audit event (using the API changes nothing), so no need for the registry's write lock.
        async with writing(engine, serialise=False) as writer:
            await writer.execute(queries.NOTE_CLIENT_USE, now, row["id"], stale)
    except Exception:  # the token is already on its way; last use is a convenience for staff
        log.warning("could not note the last use of API client %s", client_id, exc_info=True)
