"""`RateLimit-Policy` and `RateLimit` headers (IETF httpapi ratelimit-headers draft, structured fields) on answers.

Whoever counts a request against a limit notes the decision in the ASGI scope; the middleware
writes it into the answer as it starts, whatever produced the answer (handler, refusal, error).
"""

from __future__ import annotations

from typing import Any, cast

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from registry.services.rate_limits import WINDOW_SECONDS, Decision

SCOPE_KEY = "registry.rate_limit"


def note(scope: Any, policy: str, decision: Decision) -> None:
    """Remember the caller's standing under `policy` for this request's answer (the last note wins)."""
    scope[SCOPE_KEY] = (policy, decision)


def header_values(policy: str, decision: Decision) -> tuple[str, str]:
    """The `RateLimit-Policy` and `RateLimit` values: quota per window, and what is left until the window ends."""
    return (f'"{policy}";q={decision.limit};w={WINDOW_SECONDS}', f'"{policy}";r={decision.remaining};t={decision.retry_after}')


class RateLimitHeadersMiddleware:
    """Adds the noted limit to the answer's headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_limits(message: Message) -> None:
            noted: tuple[str, Decision] | None = cast(dict[str, Any], scope).get(SCOPE_KEY)
            if message["type"] == "http.response.start" and noted is not None:
                policy, limit = header_values(*noted)
                # Appended, not set: nobody else writes these, and a set would scan the headers twice.
                message["headers"] = [*message.get("headers", ()), (b"ratelimit-policy", policy.encode()), (b"ratelimit", limit.encode())]
            await send(message)

        await self.app(scope, receive, send_with_limits)
