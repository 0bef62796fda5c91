"""The `Idempotency-Key` header of the verification API: reading it, fingerprinting the request, refusals."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import msgspec

from registry.api.problems import Refused
from registry.services.errors import FieldError
from registry.services.verification.idempotency import MAX_KEY_LENGTH, Busy

HEADER = "idempotency-key"
# Sent with an answer given again for a key, so a client can tell a retry's answer from a first one.
REPLAYED = "Idempotent-Replayed"
_VISIBLE = re.compile(r"[\x21-\x7e]+")
# Sorted keys: a client that encodes the same claims again in another key order sends the same request.
_CANONICAL = msgspec.json.Encoder(order="sorted")


def read_key(value: str | None) -> str | None:
    """The key (a structured-field string's quotes removed), None when none was sent; raises Refused (422) when malformed."""
    if value is None:
        return None
    key = value.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if len(key) > MAX_KEY_LENGTH or not _VISIBLE.fullmatch(key):
        error = FieldError("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} visible ASCII characters, e.g. a UUID", "invalid")
        raise Refused(422, "the Idempotency-Key header is not a valid key; nothing was done", "validation", errors=[error])
    return key


def request_hash(path: str, body: Any) -> str:
    """What makes two requests the same: the path and the decoded body."""
    return hashlib.sha256(path.encode() + b"\n" + _CANONICAL.encode(body)).hexdigest()


def refusal(outcome: object) -> Refused:
    """Why a request holding a key cannot be answered: its key belongs to another request, or its first is still running."""
    if isinstance(outcome, Busy):
        return Refused(409, "a request with this Idempotency-Key is still being answered; try again in a moment", "idempotency-in-progress",
                       {"Retry-After": "1"})
    error = FieldError("Idempotency-Key", "was used with another request in the last 24 hours; use a new key for a new request", "key_reused")
    return Refused(422, "this Idempotency-Key belongs to another request; nothing was done", "idempotency-key-reused", errors=[error])
