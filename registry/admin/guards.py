"""Who may use a staff route: the session from its cookie, permission guards, CSRF-checked forms, and the pages that refuse."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import FormMultiDict
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect

from registry.admin.context import APP_CONTEXT, AppContext
from registry.auth.sessions import COOKIE, form_token, issued_id
from registry.messages import N_
from registry.public.page_support import render_page
from registry.roles import Permission, allows
from registry.services.staff.sessions import StaffSession


class SignInRequired(Exception):
    """No signed-in staff member: go to the sign-in page and come back."""

    def __init__(self, return_to: str):
        super().__init__(return_to)
        self.return_to = return_to


class PasswordChangeRequired(Exception):
    """Signed in with a one-time password: it must be replaced before anything else."""


class NotPermitted(Exception):
    """Signed in, but the role does not allow this."""


class CsrfRefused(Exception):
    """A form came without this session's CSRF token (or from another site)."""


def context_of(connection: ASGIConnection) -> AppContext:
    """The app's AppContext, for the code that runs before dependencies are injected (guards, exception handlers)."""
    return connection.app.state[APP_CONTEXT]


async def session_of(connection: ASGIConnection) -> StaffSession | None:
    """This browser's live session, looked up once per request."""
    if "staff_session" not in connection.scope.setdefault("state", {}):
        connection.scope["state"]["staff_session"] = await context_of(connection).sessions.find(connection.cookies.get(COOKIE))
    return connection.scope["state"]["staff_session"]


def requires(permission: Permission, during_password_change: bool = False):
    """A guard: signed in, with a role that holds the permission; after a one-time password, only routes marked
    `during_password_change` (the password page) until it is replaced."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        session = await session_of(connection)
        if session is None or not session.signed_in:
            target = connection.url.path + (f"?{connection.url.query}" if connection.url.query else "")
            raise SignInRequired(target if isinstance(connection, Request) and connection.method == "GET" else "/admin")
        if session.must_change_password and not during_password_change:
            raise PasswordChangeRequired()
        if not allows(session.role, permission):
            raise NotPermitted()

    guard.permission = permission  # type: ignore[attr-defined]  # read by the route x role test and the docs
    return guard


async def checked_post(request: Request) -> FormMultiDict:
    """The posted form (every value of repeated fields), refused unless it carries this session's CSRF token and comes from this site."""
    session = await session_of(request)
    return await _checked_form(request, session.csrf_token if session is not None else None)


async def checked_sign_in_post(request: Request) -> FormMultiDict:
    """The sign-in form, checked like any form; a browser without a session sends the token bound to its cookie."""
    session = await session_of(request)
    visitor_id = issued_id(request.cookies.get(COOKIE))
    expected = session.csrf_token if session is not None else form_token(visitor_id) if visitor_id else None
    return await _checked_form(request, expected)


async def _checked_form(request: Request, expected: str | None) -> FormMultiDict:
    origin = request.headers.get("origin")
    # "null" (a privacy-minded browser or a sandboxed frame) proves nothing either way; the token still decides.
    if origin and origin != "null" and origin not in {context_of(request).settings.public_url, f"{request.url.scheme}://{request.url.netloc}"}:
        raise CsrfRefused()
    form = await request.form()
    sent = form.get("csrf_token")
    if expected is None or not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused()
    return form


def handle_sign_in_required(request: Request, exception: SignInRequired) -> Response[Any]:
    """To the sign-in page, remembering where the visitor was going."""
    return Redirect(f"/admin/inloggen?{urlencode({'terug': exception.return_to})}", status_code=303)


def handle_password_change_required(request: Request, exception: PasswordChangeRequired) -> Response[Any]:
    """To the page where a one-time password is replaced."""
    return Redirect("/admin/wachtwoord", status_code=303)


def handle_not_permitted(request: Request, exception: NotPermitted) -> Response[Any]:
    """A page saying the role does not allow this."""
    return render_page(request, context_of(request).pages, "errors/error.html", 403, heading=N_("Not allowed"),
                       explanation=N_("Your role does not allow this. Ask an administrator if you need it."))


def handle_csrf_refused(request: Request, exception: CsrfRefused) -> Response[Any]:
    """A page asking to reload the form (its token expired or it came from elsewhere)."""
    return render_page(request, context_of(request).pages, "errors/error.html", 403, heading=N_("Form expired"),
                       explanation=N_("This form was not sent from a current page of the registry. Go back, reload the page and try again."))


EXCEPTION_HANDLERS = {
    SignInRequired: handle_sign_in_required,
    NotPermitted: handle_not_permitted,
    PasswordChangeRequired: handle_password_change_required,
    CsrfRefused: handle_csrf_refused,
}
