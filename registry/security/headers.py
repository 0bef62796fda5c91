"""Security headers on every response, errors included, as one policy with a reason per entry."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

# Content Security Policy: only our own resources; no inline script. The browsable OpenAPI page at /schema
# runs Swagger UI (the registry's own copy) and gets its own policy (see SCHEMA_CSP).
CSP = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",  # small inline SVG icons
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",  # nobody may frame the register (clickjacking)
    ]
)
SCHEMA_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # the viewer and its starter are files under /static; nothing inline, no CDN
        "style-src 'self'",
        "img-src 'self' data:",  # the viewer's icons are data: URLs
        "font-src 'self' data:",
        "connect-src 'self'",  # the document, and "try it out" against this registry only
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
ALWAYS = {
    "x-content-type-options": "nosniff",  # never guess a type: a JSON answer stays JSON
    # Coach and programme codes in URLs stay on our site; same-origin (not no-referrer) so that our own
    # form posts carry a real Origin header for the CSRF check.
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000; includeSubDomains"  # only sent over HTTPS (browsers ignore it over HTTP anyway)
# Personal and per-client answers must never be stored by a shared cache.
NO_STORE_PREFIXES = ("/api/v1/verifications", "/oauth/", "/admin")


class SecurityHeadersMiddleware:
    """Adds the headers as the response starts, whatever produced it (handler, error, static file)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in ALWAYS.items():
                    headers[name] = value
                headers["content-security-policy"] = SCHEMA_CSP if path.startswith("/schema") else CSP
                if https:
                    headers["strict-transport-security"] = HSTS
                if path.startswith(NO_STORE_PREFIXES):
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
