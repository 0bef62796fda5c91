"""What every staff route shares: the session from its cookie, permission guards, CSRF-checked forms, rendering."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import FormMultiDict
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect

from registry.auth.oidc import OidcClient
from registry.auth.sessions import COOKIE, SessionStore, StaffSession
from registry.i18n import translations
from registry.messages import N_
from registry.outages import RETRY_AFTER_SECONDS
from registry.public.page_support import language_of, render_page
from registry.roles import Permission, Role, allows
from registry.services.audit import Actor
from registry.services.errors import FieldError


@dataclass
class StaffAuth:
    """Sessions and the OpenID Provider client, built once per app."""

    sessions: SessionStore
    oidc: OidcClient


class SignInRequired(Exception):
    """No signed-in staff member: go to the sign-in page and come back."""

    def __init__(self, return_to: str):
        super().__init__(return_to)
        self.return_to = return_to


class NotPermitted(Exception):
    """Signed in, but the role does not allow this."""


class CsrfRefused(Exception):
    """A form came without this session's CSRF token (or from another site)."""


def auth_of(connection: ASGIConnection) -> StaffAuth:
    """The app's StaffAuth."""
    return connection.app.state["staff_auth"]


async def session_of(connection: ASGIConnection) -> StaffSession | None:
    """This browser's live session, looked up once per request."""
    if "staff_session" not in connection.scope.setdefault("state", {}):
        connection.scope["state"]["staff_session"] = await auth_of(connection).sessions.find(connection.cookies.get(COOKIE))
    return connection.scope["state"]["staff_session"]


def requires(permission: Permission):
    """A guard: signed in, with a role that holds the permission."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        session = await session_of(connection)
        if session is None or not session.signed_in:
            target = connection.url.path + (f"?{connection.url.query}" if connection.url.query else "")
            raise SignInRequired(target if connection.method == "GET" else "/admin")
        if not allows(session.role, permission):
            raise NotPermitted()

    guard.permission = permission  # type: ignore[attr-defined]  # read by the route x role test and the docs
    return guard


async def checked_post(request: Request, session: StaffSession | None) -> FormMultiDict:
    """The posted form (every value of repeated fields), refused unless it carries this session's CSRF token and comes from this site."""
    origin = request.headers.get("origin")
    settings = request.app.state["settings"]
    # "null" (a privacy-minded browser or a sandboxed frame) proves nothing either way; the token still decides.
    if origin and origin != "null" and origin not in {settings.public_url, f"{request.url.scheme}://{request.url.netloc}"}:
        raise CsrfRefused()
    form = await request.form()
    sent = form.get("csrf_token")
    if session is None or not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise CsrfRefused()
    return form


async def checked_form(request: Request, session: StaffSession | None) -> dict[str, str]:
    """The posted text fields (one value each), after the same checks as checked_post."""
    form = await checked_post(request, session)
    return {key: value for key, value in form.items() if isinstance(value, str) and key != "csrf_token"}


def set_session_cookie(response: Response, session: StaffSession, settings: Any) -> None:
    """The session id in a __Host- cookie: Secure, HttpOnly, whole site, not sent by other sites' forms."""
    response.set_cookie(COOKIE, session.token, path="/", secure=True, httponly=True, samesite="lax",
                        max_age=settings.session_absolute_seconds)


def clear_session_cookie(response: Response) -> None:
    """Tell the browser to forget the session id."""
    response.set_cookie(COOKIE, "", path="/", secure=True, httponly=True, samesite="lax", max_age=0)


def admin_page(request: Request, template: str, session: StaffSession, status: int = 200, **context: Any) -> Response[str]:
    """A staff page in the visitor's language, with who is signed in and the CSRF token for its forms."""
    return render_page(request, request.app.state["pages"], template, status, staff=session, csrf_token=session.csrf_token,
                       section=context.pop("section", "admin"), may=lambda permission: allows(session.role, Permission(permission)),
                       **context)


def unsaved_for_now(page: Response[str]) -> Response[str]:
    """A form page shown again because the database could not take the write: 503, and when to try again."""
    page.status_code = 503
    page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return page


def actor_of(request: Request, session: StaffSession) -> Actor:
    """The signed-in staff member as the audit trail records them: name, role now, and address."""
    address = request.client.host if request.client else "unknown"
    return Actor(name=f"user:{session.username}", role=Role(session.role) if session.role else None, source=address)


def field_messages(request: Request, errors: list[FieldError], prefix: str = "") -> dict[str, str]:
    """Field name -> message in the visitor's language; `prefix` (such as "coaches[0].") is cut from JSON paths."""
    gettext = translations(language_of(request)).gettext
    messages: dict[str, str] = {}
    for error in errors:
        name = error.field[len(prefix):] if prefix and error.field.startswith(prefix) else error.field
        text = error.in_language(gettext)
        messages[name] = f"{messages[name]} {text}" if name in messages else text
    return messages


def handle_sign_in_required(request: Request, exception: SignInRequired) -> Response[Any]:
    """To the sign-in page, remembering where the visitor was going."""
    return Redirect(f"/admin/inloggen?{urlencode({'terug': exception.return_to})}", status_code=303)


def handle_not_permitted(request: Request, exception: NotPermitted) -> Response[Any]:
    """A page saying the role does not allow this."""
    return render_page(request, request.app.state["pages"], "errors/error.html", 403, heading=N_("Not allowed"),
                       explanation=N_("Your role does not allow this. Ask an administrator if you need it."))


def handle_csrf_refused(request: Request, exception: CsrfRefused) -> Response[Any]:
    """A page asking to reload the form (its token expired or it came from elsewhere)."""
    return render_page(request, request.app.state["pages"], "errors/error.html", 403, heading=N_("Form expired"),
                       explanation=N_("This form was not sent from a current page of the registry. Go back, reload the page and try again."))


EXCEPTION_HANDLERS = {
    SignInRequired: handle_sign_in_required,
    NotPermitted: handle_not_permitted,
    CsrfRefused: handle_csrf_refused,
}
