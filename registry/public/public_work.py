"""Public pages and the public JSON API take turns: a flood of them waits its turn instead of crowding out billing traffic.

The event loop runs every ready request in turn. With fifty public searches or pages in flight, a
verification or `/health/live` waits behind fifty bursts of rendering and searching; with at most
PUBLIC_AT_ONCE in flight it waits behind that many. Requests beyond that wait (costing nothing but a
parked coroutine) up to PUBLIC_WAITING of them; past that the registry is too busy for more public work
and says so at once (503, `Retry-After`). Verifications, tokens, health, staff pages, open data and
static files never wait here; the sign-in page does. An address over its limit skips the queue (its
refusal is a page made once) but gets it only after a pause, so that fifty connections flooding from one
address cost the loop a few hundred refusals a second rather than thousands.
"""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Request
from litestar.types import ASGIApp, Receive, Scope, Send

from registry.api.problems import PROBLEM_JSON, problem_body
from registry.messages import N_
from registry.public.page_support import HTML, PAGE_HEADERS, language_of, public_bucket, refusal_html

PUBLIC_AT_ONCE = 2
PUBLIC_WAITING = 200
RETRY_AFTER_SECONDS = 2
# An address over its limit is refused only after a pause (settings.over_limit_pause_seconds, at most
# OVER_LIMIT_PARKED of them at a time): a client flooding from fifty connections then costs the loop a few
# hundred refusals a second instead of thousands.
OVER_LIMIT_PARKED = 1_000
# Billing systems, machines and staff: never held back by public traffic (the sign-in page is public work).
NOT_PUBLIC_WORK = ("/api/v1/verifications", "/oauth/", "/.well-known/", "/health/", "/static/", "/admin", "/open-data/",
                   "/schema", "/taal/")
PUBLIC_STAFF_PAGES = ("/admin/inloggen",)
BUSY = N_("The register is very busy at the moment. Please try again in a few seconds.")
BUSY_HEADING = N_("Busy")
_JSON = msgspec.json.Encoder()


def is_public_work(scope: Scope) -> bool:
    """True for the public pages and the public JSON API (the register's lists, records, searches and checks)."""
    if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
        return False
    path = scope["path"]
    return path in PUBLIC_STAFF_PAGES or not path.startswith(NOT_PUBLIC_WORK)


class PublicWorkMiddleware:
    """At most PUBLIC_AT_ONCE public requests at work, up to PUBLIC_WAITING waiting their turn, a 503 past that."""

    def __init__(self, app: ASGIApp, at_once: int = PUBLIC_AT_ONCE, waiting: int = PUBLIC_WAITING) -> None:
        self.app = app
        self.at_once = at_once
        self.waiting_limit = waiting
        self.waiting = 0
        self.parked = 0
        self._turns: asyncio.Semaphore | None = None  # made on the serving loop, at the first request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_public_work(scope):
            await self.app(scope, receive, send)
            return
        if _over_its_limit(scope):
            # Refused by the route (a page made once, no work) without queueing, after a pause that slows a flood down.
            pause = scope["app"].state.api.settings.over_limit_pause_seconds
            if pause > 0 and self.parked < OVER_LIMIT_PARKED:
                self.parked += 1
                try:
                    await asyncio.sleep(pause)
                finally:
                    self.parked -= 1
            await self.app(scope, receive, send)
            return
        if self._turns is None:
            self._turns = asyncio.Semaphore(self.at_once)
        turns = self._turns
        if turns.locked():
            if self.waiting >= self.waiting_limit:
                await _busy(scope, send)
                return
            self.waiting += 1
            try:
                await turns.acquire()
            finally:
                self.waiting -= 1
        else:
            await turns.acquire()
        try:
            await self.app(scope, receive, send)
        finally:
            turns.release()


def _over_its_limit(scope: Scope) -> bool:
    """True when this address has used up its public allowance for the minute (looked at, nothing spent)."""
    api = scope["app"].state.api
    client = scope.get("client")
    address = client[0] if client else "unknown"
    return not api.limiter.peek(public_bucket(address), api.settings.public_rate_limit_per_minute).allowed


async def _busy(scope: Scope, send: Send) -> None:
    """503 with Retry-After: problem+json on the API, a small page in the visitor's language elsewhere; nothing rendered."""
    headers = [(b"retry-after", str(RETRY_AFTER_SECONDS).encode()), (b"cache-control", b"no-store")]
    if scope["path"].startswith("/api/"):
        body = _JSON.encode(problem_body(503, "the registry is too busy for more public requests just now; try again shortly", "busy"))
        headers.append((b"content-type", PROBLEM_JSON.encode()))
    else:
        language = language_of(Request(scope))
        body = refusal_html(language, BUSY, BUSY_HEADING)
        headers.extend([(b"content-type", f"{HTML}; charset=utf-8".encode()), (b"content-language", language.encode()),
                        *((name.lower().encode(), value.encode()) for name, value in PAGE_HEADERS.items() if name != "Cache-Control")])
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body if scope.get("method") != "HEAD" else b"", "more_body": False})
