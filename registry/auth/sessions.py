"""The staff session's cookie: a random id in a `__Host-` cookie; the session itself is kept by the sessions service.

Before sign-in the same cookie may hold a visitor id that the database does not know: it binds the sign-in
form's CSRF token to this browser without a database write, so an unknown browser costs the registry nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from litestar import Response

COOKIE = "__Host-registry-session"
# What `secrets.token_urlsafe(32)` gives: any other value was not made by the registry and is replaced.
ISSUED_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_visitor_id() -> str:
    """A random id for a browser without a session, kept only in its cookie."""
    return secrets.token_urlsafe(32)


def issued_id(cookie: str | None) -> str | None:
    """The cookie's id when it has the shape of one the registry hands out, else None."""
    return cookie if cookie and ISSUED_ID.match(cookie) else None


def form_token(visitor_id: str) -> str:
    """The sign-in form's CSRF token for a browser without a session: only who holds the cookie can know it."""
    return hmac.new(visitor_id.encode(), b"registry sign-in form", hashlib.sha256).hexdigest()


def set_session_cookie(response: Response, token: str, max_age: int) -> None:
    """The session (or visitor) id in a __Host- cookie: Secure, HttpOnly, whole site, not sent by other sites' forms."""
    response.set_cookie(COOKIE, token, path="/", secure=True, httponly=True, samesite="lax", max_age=max_age)


def clear_session_cookie(response: Response) -> None:
    """Tell the browser to forget the session id."""
    response.set_cookie(COOKIE, "", path="/", secure=True, httponly=True, samesite="lax", max_age=0)
