"""Addresses holding control characters are refused before any route, guard or database sees them."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, unquote_plus

from litestar.exceptions import ClientException
from litestar.types import ASGIApp, Receive, Scope, Send

from registry.log_text import logged
from registry.services.values import unsafe_character

log = logging.getLogger(__name__)


def address_problem(scope: Scope) -> str | None:
    """What in the path or query string holds a control or text-direction character; None when nothing does."""
    if (character := unsafe_character(scope["path"])) is not None:
        return f"the path holds the control character {character}"
    query = scope.get("query_string", b"").decode("utf-8", "replace")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if (character := unsafe_character(name + value)) is not None:
            return f"the query parameter {name!r} holds the control character {character}"
    return None


class ControlCharactersMiddleware:
    """A 400 (problem+json, or a page for browsers on page paths) for such an address; no field of the registry takes them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (problem := address_problem(scope)) is not None:
            query = unquote_plus(scope.get("query_string", b"").decode("utf-8", "replace"))
            log.warning("refused an address with a control character: %s %s", logged(scope["path"]), logged(query))
            # Raised inside the route's stack, so the registry's own error handlers answer it.
            raise ClientException(detail=problem)
        await self.app(scope, receive, send)
