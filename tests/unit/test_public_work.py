"""Public requests take turns; past the waiting room the registry says it is busy; billing traffic never waits."""

from __future__ import annotations

import asyncio
import types
from typing import Any

from registry.public.public_work import PublicWorkMiddleware
from registry.services.rate_limits import RateLimiter
from registry.settings import Settings


class HeldApp:
    """A downstream app whose public answers wait until released, counting how many are at work at once."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.at_work = self.most_at_work = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.at_work += 1
        self.most_at_work = max(self.most_at_work, self.at_work)
        try:
            if not scope["path"].startswith("/api/v1/verifications"):
                await self.release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok", "more_body": False})
        finally:
            self.at_work -= 1


def _scope(path: str, limiter: RateLimiter, address: str = "10.0.0.1", method: str = "GET") -> dict[str, Any]:
    api = types.SimpleNamespace(limiter=limiter, settings=Settings())
    return {"type": "http", "method": method, "path": path, "query_string": b"", "headers": [(b"accept-language", b"nl")],
            "client": (address, 1234), "app": types.SimpleNamespace(state=types.SimpleNamespace(api=api))}


async def _request(app: Any, scope: dict[str, Any]) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    await app(scope, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]


async def test_public_requests_take_turns_and_a_full_waiting_room_is_told_to_come_back() -> None:
    held, limiter = HeldApp(), RateLimiter(engine=None)  # type: ignore[arg-type]  # peek and take need no database
    app = PublicWorkMiddleware(held, at_once=2, waiting=3)
    working = [asyncio.create_task(_request(app, _scope(f"/coaches?q={n}", limiter))) for n in range(5)]
    await asyncio.sleep(0.01)
    assert held.at_work == 2 and app.waiting == 3

    status, headers, body = await _request(app, _scope("/programmas", limiter))
    assert status == 503 and headers[b"retry-after"] == b"2" and "erg druk".encode() in body
    status, headers, body = await _request(app, _scope("/api/v1/programmes", limiter))
    assert status == 503 and headers[b"content-type"] == b"application/problem+json" and b'"status":503' in body
    # Billing traffic and health go straight through while the public queue is full.
    assert (await _request(app, _scope("/api/v1/verifications", limiter, method="POST")))[0] == 200

    held.release.set()
    assert [result[0] for result in await asyncio.gather(*working)] == [200] * 5
    assert held.most_at_work == 3  # two public requests, and the verification beside them
    assert app.waiting == 0


async def test_an_address_over_its_limit_skips_the_queue_and_is_refused_after_a_pause() -> None:
    held, limiter = HeldApp(), RateLimiter(engine=None)  # type: ignore[arg-type]
    limit = Settings().public_rate_limit_per_minute
    limiter.take("public:10.9.9.9", limit, limit)
    app = PublicWorkMiddleware(held, at_once=1, waiting=0)
    first = asyncio.create_task(_request(app, _scope("/coaches", limiter)))
    await asyncio.sleep(0.01)
    flooding = asyncio.create_task(_request(app, _scope("/admin/inloggen", limiter, address="10.9.9.9")))
    await asyncio.sleep(0.05)
    assert held.at_work == 1 and app.parked == 1  # paused first
    await asyncio.sleep(Settings().over_limit_pause_seconds)
    # Then the route (here: the held app) sees the spent address, although every turn is taken and nobody may wait.
    assert held.at_work == 2 and app.parked == 0
    held.release.set()
    assert (await first)[0] == 200 and (await flooding)[0] == 200


async def test_the_sign_in_page_takes_turns_and_other_staff_pages_do_not() -> None:
    held, limiter = HeldApp(), RateLimiter(engine=None)  # type: ignore[arg-type]
    app = PublicWorkMiddleware(held, at_once=1, waiting=0)
    first = asyncio.create_task(_request(app, _scope("/programmas", limiter)))
    await asyncio.sleep(0.01)
    assert (await _request(app, _scope("/admin/inloggen", limiter)))[0] == 503
    staff = asyncio.create_task(_request(app, _scope("/admin", limiter)))
    await asyncio.sleep(0.01)
    assert held.at_work == 2  # the dashboard went straight through
    held.release.set()
    assert (await first)[0] == 200 and (await staff)[0] == 200
