"""The staff session's cookie: a random id in a `__Host-` cookie; the session itself is kept by the sessions service."""

from __future__ import annotations

from litestar import Response

from registry.services.staff.sessions import StaffSession

COOKIE = "__Host-registry-session"


def set_session_cookie(response: Response, session: StaffSession, max_age: int) -> None:
    """The session id in a __Host- cookie: Secure, HttpOnly, whole site, not sent by other sites' forms."""
    response.set_cookie(COOKIE, session.token, path="/", secure=True, httponly=True, samesite="lax", max_age=max_age)


def clear_session_cookie(response: Response) -> None:
    """Tell the browser to forget the session id."""
    response.set_cookie(COOKIE, "", path="/", secure=True, httponly=True, samesite="lax", max_age=0)
