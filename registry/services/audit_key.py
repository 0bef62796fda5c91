"""The audit chain's key: a secret kept in a file outside the database, so a database writer cannot recompute the chain."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from piccolo.engine.base import Engine

from registry import db

KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class ChainKey:
    """The HMAC-SHA256 key of the audit chain and the file it came from."""

    secret: bytes
    path: Path

    def digest(self, message: bytes) -> str:
        """HMAC-SHA256 of `message` under this key, as hex."""
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


class ChainKeyMissing(Exception):
    """The key file is not there: keyed events cannot be checked (nor written by a process told not to create it)."""


def load_chain_key(path: Path) -> ChainKey:
    """The key in an existing key file; ChainKeyMissing when there is none, ValueError when it is not a key file."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise ChainKeyMissing(f"no audit chain key file at {path}") from None
    secret = base64.urlsafe_b64decode(str(document["key"]) + "=" * (-len(str(document["key"])) % 4))
    if len(secret) != KEY_BYTES:
        raise ValueError(f"{path} does not hold a {KEY_BYTES}-byte audit chain key")
    return ChainKey(secret, path)


def load_or_create_chain_key(path: Path) -> ChainKey:
    """The key in `path`; a new key file (readable by its owner only) when there is none yet."""
    if not path.exists():
        secret = secrets.token_bytes(KEY_BYTES)
        document = {"created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                    "key": base64.urlsafe_b64encode(secret).rstrip(b"=").decode("ascii")}
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                json.dump(document, file, indent=2)
                file.flush()
                os.fsync(file.fileno())
            # Several processes may start at once on an empty data directory: the first file wins, all load it.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    return load_chain_key(path)


_loaded: dict[Path, ChainKey] = {}
_lock = threading.Lock()


def chain_key_of(engine: Engine) -> ChainKey:
    """The key events written through `engine` are chained with (created on first use), from the engine's settings."""
    path = db.settings_of(engine).chain_key_file
    key = _loaded.get(path)
    if key is None:
        with _lock:
            key = _loaded.get(path) or load_or_create_chain_key(path)
            _loaded[path] = key
    return key
