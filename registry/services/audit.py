"""Audit events: who changed what, from where, written in the same transaction as the change."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import msgspec

from registry.db import settings_of
from registry.roles import Role
from registry.services import queries
from registry.services.audit_key import ChainKey, chain_key_of
from registry.services.sql import Writer


class AuditAction(StrEnum):
    """What an audit event records, named scope:resource:action."""

    ORGANISATION_CREATE = "registry:organisation:create"
    ORGANISATION_UPDATE = "registry:organisation:update"
    TRAINING_CREATE = "registry:training:create"
    TRAINING_UPDATE = "registry:training:update"
    PROGRAMME_CREATE = "registry:programme:create"
    PROGRAMME_UPDATE = "registry:programme:update"
    PROGRAMME_DESIGN_RECORD = "registry:programme:design"
    CARE_STANDARD_CHANGE = "registry:care_standard:change"
    COACH_CREATE = "registry:coach:create"
    COACH_UPDATE = "registry:coach:update"
    QUALIFICATION_CREATE = "registry:qualification:create"
    QUALIFICATION_UPDATE = "registry:qualification:update"
    QUALIFICATION_WITHDRAW = "registry:qualification:withdraw"
    DECISION_RECORD = "registry:decision:record"
    PROPOSAL_CREATE = "registry:proposal:create"
    PROPOSAL_APPROVE = "registry:proposal:approve"
    PROPOSAL_REJECT = "registry:proposal:reject"
    IMPORT_APPLY = "registry:import:apply"
    STAFF_USER_CREATE = "auth:staff_user:create"
    STAFF_USER_UPDATE = "auth:staff_user:update"
    INVITATION_ISSUE = "auth:invitation:issue"
    INVITATION_REISSUE = "auth:invitation:reissue"
    INVITATION_ACCEPT = "auth:invitation:accept"
    SESSION_START = "auth:session:start"
    SESSION_END = "auth:session:end"
    SIGN_IN_REFUSE = "auth:session:refuse"
    API_CLIENT_CREATE = "auth:api_client:create"
    API_CLIENT_ROTATE_SECRET = "auth:api_client:rotate_secret"
    API_CLIENT_DISABLE = "auth:api_client:disable"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does something, as they were at the time: a staff user, an import, an operator."""

    name: str
    role: Role | None
    source: str

    @classmethod
    def operator(cls, command: str) -> "Actor":
        """An operator at the command line, who holds every right on the machine."""
        return cls(name=f"cli:{command}", role=Role.ADMIN, source="cli")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change to record; `row` names the row it wrote (table, id) so the chain seals that row's content."""

    action: AuditAction
    subject_kind: str | None = None
    subject_code: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    row: tuple[str, int] | None = None


def canonical_json(value: Any) -> str:
    """Stable JSON: sorted keys, no spaces, dates as ISO strings (msgspec: ~10x faster than json)."""
    return _CANONICAL.encode(value).decode()


_CANONICAL = msgspec.json.Encoder(order="sorted")

# What the hash of an event written before the keyed chain covers (plain SHA-256)...
HASHED_FIELDS = (
    "occurred_at",
    "actor",
    "actor_role",
    "action",
    "subject_kind",
    "subject_code",
    "before_state",
    "after_state",
    "source",
)
# ... and of a keyed event (HMAC-SHA256 under the chain key), which also seals the row it wrote.
KEYED_FIELDS = (*HASHED_FIELDS, "row_ref", "row_digest")


def event_hash(previous_hash: str, row: dict[str, Any], key: ChainKey | None = None) -> str:
    """The chain hash over the previous event's hash and this event's content: HMAC under `key`, plain SHA-256 without."""
    if key is None:
        content = {field: row[field] for field in HASHED_FIELDS}
        return hashlib.sha256((previous_hash + canonical_json(content)).encode()).hexdigest()
    content = {field: row.get(field) for field in KEYED_FIELDS}
    return key.digest((previous_hash + canonical_json(content)).encode())


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def row_digest(table: str, row: dict[str, Any]) -> str:
    """SHA-256 of a covered row's content (queries.DIGESTED_COLUMNS), as stored."""
    # Empty (NULL) columns are left out, so a nullable column added to DIGESTED_COLUMNS later leaves older digests true.
    content = {column: _plain(row[column]) for column in queries.DIGESTED_COLUMNS[table] if row[column] is not None}
    return hashlib.sha256(canonical_json([table, row["id"], content]).encode()).hexdigest()


async def _row_digests(writer: Writer, refs: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The digest of every named row as this transaction sees it."""
    wanted: dict[str, list[int]] = {}
    for table, row_id in refs:
        wanted.setdefault(table, []).append(row_id)
    digests = {}
    for table, ids in wanted.items():
        for row in await writer.fetch_in(queries.DIGESTED_ROWS_IN[table], ids):
            digests[(table, row["id"])] = row_digest(table, row)
    return digests


async def record_events(writer: Writer, actor: Actor, entries: list[AuditEntry], occurred_at: dt.datetime) -> None:
    """Append audit events to the keyed hash chain inside the caller's write transaction."""
    if not entries:
        return
    key = chain_key_of(writer.engine)
    digests = await _row_digests(writer, [entry.row for entry in entries if entry.row])
    previous = await writer.fetch_one(queries.LAST_AUDIT_HASH)
    previous_hash = previous["hash"] if previous else ""
    rows = []
    for entry in entries:
        row = {
            "occurred_at": occurred_at.isoformat(),
            "actor": actor.name,
            "actor_role": str(actor.role) if actor.role else None,
            "action": str(entry.action),
            "subject_kind": entry.subject_kind,
            "subject_code": entry.subject_code,
            "before_state": None if entry.before is None else canonical_json(entry.before),
            "after_state": None if entry.after is None else canonical_json(entry.after),
            "source": actor.source,
            "row_ref": f"{entry.row[0]}:{entry.row[1]}" if entry.row else None,
            # A row this transaction wrote is always there to read back: a KeyError is a bug and undoes the write.
            "row_digest": digests[entry.row] if entry.row else None,
        }
        row["previous_hash"] = previous_hash
        row["hash"] = previous_hash = event_hash(previous_hash, row, key)
        row["occurred_at"] = occurred_at
        rows.append(row)
    await writer.insert_many("audit_event", rows)


async def verify_chain(reader: Writer) -> tuple[int, list[int]]:
    """Number of events checked and ids of events whose hash does not match the keyed chain (rows and anchor: audit_check)."""
    from registry.services.audit_check import check_audit

    verdict = await check_audit(reader, settings_of(reader.engine).chain_key_file, rows=False)
    return verdict.events, verdict.broken
