"""The registry's signing keys (ES256): load or create the key file, sign JWS, publish the JWKS."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc.jwk import ECKey

# ES256 is the one algorithm we sign with and accept: every JOSE library in insurers' stacks
# knows it, and it signs in ~50 µs (RSA ~1 ms).
ALGORITHM = "ES256"
# How long clients may keep the JWKS (its Cache-Control max-age).
JWKS_MAX_AGE = 300
# A new key is published this long before it signs, so every JWKS a client may still hold from
# cache already has the key of any token or receipt it is given (twice the cache lifetime: one for
# the cache, one for clocks and instances that read the key file a little later).
KEY_LEAD_SECONDS = 2 * JWKS_MAX_AGE
log = logging.getLogger(__name__)
_ECDSA = ec.ECDSA(hashes.SHA256())


P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def canonical_signature(compact: str) -> bool:
    """True when a compact JWS's ES256 signature is in the one form we issue: low S, canonical base64url.

    ECDSA accepts (r, s) and (r, n - s) alike, and base64url has spare bits in its last character;
    refusing the other forms keeps a token or receipt string a unique name for what was signed.
    """
    encoded = compact.rsplit(".", 1)[-1]
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        return False
    if len(raw) != 64 or b64url(raw) != encoded:
        return False
    return int.from_bytes(raw[32:], "big") <= P256_ORDER // 2


def b64url(raw: bytes) -> str:
    """Base64url without padding, as JOSE writes it."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One key pair with its id and lifetime: published from `created_at`, signing from `signs_from` until `retired_at`."""

    kid: str
    key: ECKey
    created_at: dt.datetime
    retired_at: dt.datetime | None = None
    # None: from its creation (the first key, and keys written before keys were published ahead).
    signs_from: dt.datetime | None = None

    @property
    def starts(self) -> dt.datetime:
        """When it signs its first token or receipt."""
        return self.signs_from or self.created_at

    def signs_at(self, moment: dt.datetime) -> bool:
        """Whether it may sign at `moment`."""
        return self.starts <= moment and (self.retired_at is None or moment < self.retired_at)

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK for the JWKS."""
        return {**self.key.as_dict(private=False), "kid": self.kid, "use": "sig", "alg": ALGORITHM}

    def stored(self) -> dict[str, Any]:
        """How the key is written to the key file."""
        return {
            "kid": self.kid,
            "created_at": self.created_at.isoformat(),
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
            "signs_from": self.signs_from.isoformat() if self.signs_from else None,
            "jwk": self.key.as_dict(private=True),
        }


def new_key(now: dt.datetime) -> SigningKey:
    """A fresh P-256 key pair named by its creation date and a random suffix."""
    kid = f"{now:%Y%m%d}-{secrets.token_hex(4)}"
    return SigningKey(kid, ECKey.generate_key("P-256", private=True), now)


class KeyRing:
    """Every signing key the registry knows: one signing now, perhaps a next one published ahead, the others retired."""

    def __init__(self, keys: list[SigningKey], retired_key_days: int = 400, clock=time.time):
        self.keys = keys
        self.retired_key_days = retired_key_days
        self.clock = clock
        self._by_kid = {key.kid: key for key in keys}
        for key in keys:
            if key.retired_at is None and key.key.private_key is None:
                raise ValueError(f"the signing key {key.kid} has no private half")
        self._until = 0.0
        self._select(clock())

    def _select(self, now: float) -> None:
        """Choose the key that signs at `now`, and the moment that choice must be made again."""
        moment = dt.datetime.fromtimestamp(now, dt.timezone.utc)
        signing = [key for key in self.keys if key.signs_at(moment)]
        if not signing:
            raise ValueError("the key file holds no signing key for now")
        self._signing = max(signing, key=lambda key: key.starts)
        changes = [change for key in self.keys for change in (key.starts, key.retired_at) if change is not None and change > moment]
        self._until = min(changes).timestamp() if changes else float("inf")
        private = self._signing.key.private_key
        assert private is not None  # nosec B101 # checked for every key that is not retired in __init__
        self._private = private
        self._header_prefix = b64url(json.dumps({"alg": ALGORITHM, "kid": self._signing.kid, "typ": "JWT"}, separators=(",", ":")).encode())

    @property
    def active(self) -> SigningKey:
        """The key that signs now."""
        now = self.clock()
        if now >= self._until:
            self._select(now)
        return self._signing

    @property
    def upcoming(self) -> SigningKey | None:
        """A key published ahead that has not signed yet, if a rotation is on its way."""
        moment = dt.datetime.fromtimestamp(self.clock(), dt.timezone.utc)
        waiting = [key for key in self.keys if key.starts > moment and (key.retired_at is None or key.retired_at > key.starts)]
        return min(waiting, key=lambda key: key.starts) if waiting else None

    @classmethod
    def load_or_create(cls, path: Path, retired_key_days: int = 400) -> "KeyRing":
        """The keys in `path`; a new key file with one key when there is none yet."""
        if not path.exists():
            ring = cls([new_key(dt.datetime.now(dt.timezone.utc))], retired_key_days)
            # Several instances may start at once on an empty shared data directory: only the first
            # file is kept (link fails if the name exists), and every instance loads that one.
            if ring.save(path, replace=False):
                return ring
        return cls.load(path, retired_key_days)

    @classmethod
    def load(cls, path: Path, retired_key_days: int = 400) -> "KeyRing":
        """The keys in an existing key file."""
        document = json.loads(path.read_text())
        keys = [
            SigningKey(
                kid=entry["kid"],
                key=ECKey.import_key(entry["jwk"]),
                created_at=dt.datetime.fromisoformat(entry["created_at"]),
                retired_at=dt.datetime.fromisoformat(entry["retired_at"]) if entry.get("retired_at") else None,
                signs_from=dt.datetime.fromisoformat(entry["signs_from"]) if entry.get("signs_from") else None,
            )
            for entry in document["keys"]
        ]
        return cls(keys, retired_key_days)

    def save(self, path: Path, replace: bool = True) -> bool:
        """Write the key file atomically, readable by its owner only; with replace=False only if there is none (True if written)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")  # one per writer
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                json.dump({"keys": [key.stored() for key in self.keys]}, file, indent=2)
                file.flush()
                os.fsync(file.fileno())
            if replace:
                os.replace(temporary, path)
                return True
            try:
                os.link(temporary, path)
            except FileExistsError:
                return False
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    def rotated(self, now: dt.datetime, lead_seconds: float = KEY_LEAD_SECONDS) -> "KeyRing":
        """A ring with a new key, published from `now` and signing `lead_seconds` later, when the signing one retires.

        The retired key stays published (tokens and receipts signed with it still verify); a key
        an earlier rotation published ahead and that has not signed yet never will.
        """
        starts = now + dt.timedelta(seconds=lead_seconds)
        current = self.active
        keys = []
        for key in self.keys:
            if key.kid == current.kid:
                key = SigningKey(key.kid, key.key, key.created_at, starts, key.signs_from)
            elif key.starts > now and (key.retired_at is None or key.retired_at > now):
                key = SigningKey(key.kid, key.key, key.created_at, now, key.signs_from)
            keys.append(key)
        fresh = new_key(now)
        return KeyRing([*keys, SigningKey(fresh.kid, fresh.key, now, None, starts)], self.retired_key_days, self.clock)

    def published(self, now: dt.datetime | None = None) -> list[SigningKey]:
        """Keys in the JWKS: the signing one, one published ahead of signing, and those retired recently enough to still matter."""
        now = now or dt.datetime.now(dt.timezone.utc)
        horizon = now - dt.timedelta(days=self.retired_key_days)
        return [key for key in self.keys if key.retired_at is None or key.retired_at > horizon]

    def jwks(self) -> dict[str, Any]:
        """The public JWK set."""
        return {"keys": [key.public_jwk() for key in self.published()]}

    def verification_key(self, kid: str) -> ECKey | None:
        """The public key a token or receipt names, if it is still published."""
        key = self._by_kid.get(kid)
        if key is None or key not in self.published():
            return None
        return key.key

    def sign_compact(self, payload: bytes) -> str:
        """A compact JWS over `payload` with the active key.

        Written here rather than through joserfc because a 10,000-item batch signs 10,000
        receipts: this costs ~50 µs each against ~85 µs through the general serializer. The tests
        verify these signatures with joserfc.
        """
        if self.clock() >= self._until:  # a key published ahead starts signing, or the signing one retires
            self._select(self.clock())
        signing_input = f"{self._header_prefix}.{b64url(payload)}"
        r, s = decode_dss_signature(self._private.sign(signing_input.encode("ascii"), _ECDSA))
        # (r, n - s) verifies too; only the low one is ever issued, so a token or receipt string is one id.
        s = min(s, P256_ORDER - s)
        return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


class LiveKeys:
    """The key file's ring, reloaded when `registry rotate-signing-key` replaces the file, so instances need no restart."""

    def __init__(self, path: Path, retired_key_days: int = 400, check_seconds: float = 1.0, clock=time.monotonic):
        self.path = path
        self.retired_key_days = retired_key_days
        self.check_seconds = check_seconds
        self.clock = clock
        self.ring = KeyRing.load_or_create(path, retired_key_days)
        self._stamp = self._file_stamp()
        self._checked_at = clock()

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            return None
        # A rotation writes a new file and renames it over the old: the inode changes even within one mtime tick.
        return status.st_ino, status.st_mtime_ns, status.st_size

    def refresh(self, now: bool = False) -> None:
        """Reload the ring if the file changed (looked at once a second at most, or at once when `now`)."""
        moment = self.clock()
        if not now and moment - self._checked_at < self.check_seconds:
            return
        self._checked_at = moment
        stamp = self._file_stamp()
        if stamp is None or stamp == self._stamp:
            return
        try:
            ring = KeyRing.load(self.path, self.retired_key_days)
        except (OSError, ValueError, KeyError) as error:  # keep signing with the keys we have; say why
            log.error("the signing key file %s could not be read; keeping the keys loaded before: %s", self.path, error)
            self._stamp = stamp
            return
        self.ring, self._stamp = ring, stamp
        log.warning("signing keys reloaded from %s: active key %s", self.path, ring.active.kid)

    @property
    def active(self) -> SigningKey:
        """The key new tokens and receipts are signed with."""
        self.refresh()
        return self.ring.active

    def jwks(self) -> dict[str, Any]:
        """The public JWK set."""
        self.refresh()
        return self.ring.jwks()

    def verification_key(self, kid: str) -> ECKey | None:
        """The public key a token or receipt names; an unknown kid makes us look at the file at once (another instance rotated)."""
        key = self.ring.verification_key(kid)
        if key is None:
            self.refresh(now=True)
            key = self.ring.verification_key(kid)
        return key

    def sign_compact(self, payload: bytes) -> str:
        """A compact JWS over `payload` with the active key."""
        self.refresh()
        return self.ring.sign_compact(payload)
