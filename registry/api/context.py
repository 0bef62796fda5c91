"""The long-lived parts the API handlers share, built once per app and injected with Provide."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from piccolo.engine.base import Engine

from registry.public.page_cache import PageCache
from registry.services.audit_anchor import AnchorCache
from registry.services.audit_key import chain_key_of
from registry.services.public.listings import ListingIndex
from registry.services.public.search_index import SearchIndex
from registry.services.rate_limits import RateLimiter
from registry.services.verification.idempotency import IdempotencyKeys
from registry.services.verification.index import VerificationIndex
from registry.services.verification.receipts import ReceiptSigner
from registry.services.verification.signing import LiveKeys
from registry.services.verification.store import VerificationStore
from registry.services.verification.tokens import TokenAuthority
from registry.settings import Settings

# A Host header the registry will name itself by: a host name or IP literal and an optional port, nothing else.
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


def request_origin(scope: Any) -> str:
    """scheme://host[:port] of the address the request was sent to (the Host header, else the listening socket)."""
    scheme = scope.get("scheme", "http")
    host = ""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = value.decode("latin-1")
            break
    if not _HOST.fullmatch(host):
        server = scope.get("server") or ("127.0.0.1", None)
        host = server[0] if server[1] in (None, 80 if scheme == "http" else 443) else f"{server[0]}:{server[1]}"
    return f"{scheme}://{host}"


@dataclass
class ApiContext:
    """Settings, database, keys, token authority, verification and search indexes (and the trainings and organisations
    listed), answer store, rate limits, idempotency keys, receipt signing."""

    settings: Settings
    engine: Engine
    keys: LiveKeys
    tokens: TokenAuthority
    index: VerificationIndex
    store: VerificationStore
    limiter: RateLimiter
    search: SearchIndex
    listings: ListingIndex
    idempotency: IdempotencyKeys
    receipts: ReceiptSigner
    # One open-data regeneration at a time; created on the app's own event loop in start().
    open_data_lock: asyncio.Lock | None = None
    # Rendered public detail pages by (register state, language, day): registry/public/page_cache.py.
    page_cache: PageCache = field(default_factory=PageCache)
    # The signed audit anchor, served at /open-data/audit-anchor.json and written into each open-data snapshot.
    anchors: AnchorCache | None = None

    @classmethod
    def build(cls, settings: Settings, engine: Engine) -> "ApiContext":
        """Everything from settings; keys are loaded (or created) from the key file."""
        keys = LiveKeys(settings.key_file, settings.retired_key_days)
        index = VerificationIndex(engine, settings.change_poll_seconds)
        return cls(
            settings=settings,
            engine=engine,
            keys=keys,
            tokens=TokenAuthority(keys, settings.token_lifetime_seconds),
            index=index,
            store=VerificationStore(engine, settings.sqlite_busy_timeout_seconds),
            limiter=RateLimiter(engine),
            search=SearchIndex(),
            listings=ListingIndex(index),
            idempotency=IdempotencyKeys(engine),
            receipts=ReceiptSigner(keys.sign_compact),
            anchors=AnchorCache(engine, settings.public_url, keys.sign_compact),
        )

    def public_url(self, scope: Any) -> str:
        """The registry's base URL for this request: REGISTRY_PUBLIC_URL when set, else the request's own origin."""
        return self.settings.public_url or request_origin(scope)

    async def start(self) -> None:
        """Build the index and start the background tasks."""
        self.open_data_lock = asyncio.Lock()
        # The audit chain's key exists before the first write, beside the signing keys loaded above.
        chain_key_of(self.engine)
        await self.index.start()
        await self.search.for_snapshot(self.index.snapshot)
        await self.listings.current()
        await self.limiter.start()
        await self.idempotency.start()

    async def stop(self) -> None:
        """Finish writing answers and stop the background tasks."""
        await self.idempotency.stop()
        await self.store.stop()
        self.receipts.close()
        await self.search.stop()
        await self.listings.stop()
        await self.limiter.stop()
        await self.index.stop()
