"""The audit anchor: the chain's event count and latest hash, signed with the registry's ES256 key and published.

Anyone who keeps a copy can later show that the chain still begins with what it held then:
`registry audit verify --anchor` fails when an event up to it was rewritten or the last events were deleted.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Callable

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from piccolo.engine.base import Engine

from registry.services import queries
from registry.services.audit_check import AnchorClaims
from registry.services.sql import Writer, reading
from registry.services.verification.signing import ALGORITHM, canonical_signature

SUBJECT = "audit-chain"


class AnchorError(Exception):
    """An anchor that cannot be trusted: not a signed anchor, a signature that does not verify, a key not known."""


@dataclass(frozen=True, slots=True)
class ChainTip:
    """How many events the chain holds, and the newest one's id and hash."""

    events: int
    last_event_id: int
    hash: str
    keyed_from: int


async def chain_tip(reader: Writer, known: ChainTip | None = None) -> ChainTip:
    """The chain's tip in the reader's snapshot; from a tip known before, only the events since are counted."""
    last = await reader.fetch_one(queries.LAST_AUDIT_EVENT)
    marker = await reader.fetch_one(queries.AUDIT_CHAIN_MARK)
    keyed_from = int(marker["keyed_from"]) if marker else 1
    if last is None:
        return ChainTip(0, 0, "", keyed_from)
    if known is not None and known.last_event_id == last["id"]:
        return known
    since, counted = (known.last_event_id, known.events) if known is not None and known.last_event_id < last["id"] else (0, 0)
    added = await reader.fetch_row(queries.AUDIT_EVENTS_SINCE, since, last["id"])
    return ChainTip(counted + int(added["n"]), int(last["id"]), str(last["hash"]), keyed_from)


def signed_anchor(tip: ChainTip, issuer: str, sign_compact: Callable[[bytes], str], now: dt.datetime | None = None) -> dict[str, Any]:
    """The anchor document: the tip in the clear, and the same as a compact JWS (`anchor`) checkable with the JWKS."""
    now = now or dt.datetime.now(dt.timezone.utc)
    claims = {"iss": issuer, "sub": SUBJECT, "events": tip.events, "last_event_id": tip.last_event_id, "hash": tip.hash,
              "keyed_from": tip.keyed_from, "iat": int(now.timestamp())}
    issued_at = dt.datetime.fromtimestamp(claims["iat"], dt.timezone.utc).isoformat().replace("+00:00", "Z")
    return {"events": tip.events, "last_event_id": tip.last_event_id, "hash": tip.hash, "keyed_from": tip.keyed_from,
            "issued_at": issued_at, "issuer": issuer, "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "anchor": sign_compact(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())}


def read_anchor(text: str, key_for: Callable[[str], ECKey | None]) -> AnchorClaims:
    """The claims of an anchor (its JSON document or the bare compact JWS) whose signature verifies with a key `key_for` knows."""
    compact = text.strip()
    if compact.startswith("{"):
        try:
            compact = str(json.loads(compact)["anchor"])
        except (ValueError, KeyError, TypeError) as problem:
            raise AnchorError("the anchor file is JSON but holds no `anchor` (a compact JWS)") from problem
    parts = compact.split(".")
    if len(parts) != 3:
        raise AnchorError("the anchor is not a compact JWS")
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except ValueError as problem:
        raise AnchorError("the anchor's header is not JSON") from problem
    if not isinstance(header, dict) or header.get("alg") != ALGORITHM or not canonical_signature(compact):
        raise AnchorError("the anchor is not signed with ES256 in the registry's form")
    key = key_for(str(header.get("kid", "")))
    if key is None:
        raise AnchorError(f"the anchor is signed with key {header.get('kid')!r}, which this registry does not publish")
    try:
        claims = json.loads(jws.deserialize_compact(compact, key, algorithms=[ALGORITHM]).payload)
    except (JoseError, ValueError) as problem:
        raise AnchorError("the anchor's signature does not verify") from problem
    if not isinstance(claims, dict) or claims.get("sub") != SUBJECT:
        raise AnchorError("the signed document is not an audit anchor")
    try:
        issued_at = dt.datetime.fromtimestamp(int(claims["iat"]), dt.timezone.utc).isoformat().replace("+00:00", "Z")
        return AnchorClaims(int(claims["events"]), int(claims["last_event_id"]), str(claims["hash"]), int(claims["keyed_from"]), issued_at)
    except (KeyError, TypeError, ValueError) as problem:
        raise AnchorError("the anchor lacks events, last_event_id, hash, keyed_from or iat") from problem


class AnchorCache:
    """The current anchor of one database, signed again only when the chain has grown."""

    def __init__(self, engine: Engine, issuer: str | None, sign_compact: Callable[[bytes], str]):
        self.engine = engine
        self.issuer = issuer
        self.sign_compact = sign_compact
        self._tip: ChainTip | None = None
        self._document: dict[str, Any] | None = None
        self._lock = asyncio.Lock()

    async def current(self, asked_at: str) -> dict[str, Any]:
        """The anchor of the chain as it is now (one cheap read when nothing was added), issued by the configured public
        URL, else by the address it was asked at."""
        issuer = self.issuer or asked_at
        async with self._lock:
            async with reading(self.engine) as reader:
                tip = await chain_tip(reader, self._tip)
            if self._document is None or tip != self._tip or self._document["issuer"] != issuer:
                self._tip, self._document = tip, signed_anchor(tip, issuer, self.sign_compact)
            return self._document
