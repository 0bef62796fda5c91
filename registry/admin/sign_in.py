"""Signing in (local account or the OpenID Provider) and out. A new session id at every sign-in."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect

from registry.admin.support import (
    StaffAuth,
    checked_form,
    clear_session_cookie,
    session_of,
    set_session_cookie,
)
from registry.api.context import ApiContext
from registry.auth.oidc import OidcRefused, OidcUnavailable
from registry.auth.sessions import StaffSession
from registry.messages import N_
from registry.outages import RETRY_AFTER_SECONDS
from registry.public.page_support import local_path, render_page
from registry.roles import Role
from registry.services.audit import Actor, AuditAction, AuditEntry
from registry.services.staff import users

log = logging.getLogger(__name__)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _return_path(target: str | None) -> str:
    """Where to go after signing in: a staff path on this site, else the dashboard."""
    return local_path(target, "/admin")


async def _visitor_session(request: Request, auth: StaffAuth) -> tuple[StaffSession, bool]:
    """This browser's session, or a new visitor session (True when new, so its cookie must be set)."""
    session = await session_of(request)
    if session is not None:
        return session, False
    return await auth.sessions.start(address=_address(request)), True


def _sign_in_page(request: Request, auth: StaffAuth, session: StaffSession, fresh: bool, status: int = 200,
                  error: str | None = None, username: str = "") -> Response[str]:
    response = render_page(request, request.app.state["pages"], "admin/sign_in.html", status, section="admin",
                           csrf_token=session.csrf_token, oidc_enabled=auth.oidc.enabled, error=error, username=username,
                           return_to=_return_path(request.query_params.get("terug")),
                           signed_out=request.query_params.get("uitgelogd") == "1")
    if fresh:
        set_session_cookie(response, session, request.app.state["settings"])
    return response


async def _signed_in(request: Request, auth: StaffAuth, visitor: StaffSession, member: dict[str, Any], how: str, return_to: str) -> Response[Any]:
    """Replace the visitor's session by a new one for the staff member (never reuse the id)."""
    actor = Actor(f"user:{member['username']}", Role(member["role"]), _address(request))
    session = await auth.sessions.start(member["id"], _address(request), replacing=visitor.token,
                                        audit=(actor, AuditEntry(AuditAction.SESSION_START, "staff_user", member["username"], None, {"method": how})))
    response = Redirect(_return_path(return_to), status_code=303)
    set_session_cookie(response, session, request.app.state["settings"])
    return response


def _too_many(request: Request, api: ApiContext) -> bool:
    allowance = api.limiter.take(f"login:{_address(request)}", 1, api.settings.login_rate_limit_per_minute)
    return not allowance.allowed


@get("/admin/inloggen", include_in_schema=False)
async def sign_in_form(request: Request, staff_auth: NamedDependency[StaffAuth]) -> Response[Any]:
    """The sign-in page: the organisation's account, or a local account."""
    session, fresh = await _visitor_session(request, staff_auth)
    if session.signed_in:
        return Redirect(_return_path(request.query_params.get("terug")), status_code=303)
    return _sign_in_page(request, staff_auth, session, fresh)


@post("/admin/inloggen", include_in_schema=False, status_code=303)
async def sign_in_local(request: Request, staff_auth: NamedDependency[StaffAuth], api: NamedDependency[ApiContext]) -> Response[Any]:
    """Check a local account's password; on success a new session."""
    session, fresh = await _visitor_session(request, staff_auth)
    form = await checked_form(request, None if fresh else session)
    if _too_many(request, api):
        response = _sign_in_page(request, staff_auth, session, fresh, 429, N_("Too many attempts from your address. Wait a minute and try again."))
        response.headers["Retry-After"] = "60"
        return response
    member = await users.authenticate(api.engine, form.get("username", ""), form.get("password", ""))
    if member is None:
        return _sign_in_page(request, staff_auth, session, fresh, 400, N_("The username or password is not right."), form.get("username", ""))
    return await _signed_in(request, staff_auth, session, member, "password", form.get("return_to", "/admin"))


def _provider_away(request: Request, staff_auth: StaffAuth, session: StaffSession, fresh: bool) -> Response[Any]:
    """The sign-in page saying the organisation's sign-in service is away, with Retry-After."""
    page = _sign_in_page(request, staff_auth, session, fresh, 503, N_(
        "Your organisation's sign-in service cannot be reached right now. Try again in a few minutes, or sign in with a local account."))
    page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return page


@get("/admin/inloggen/oidc", include_in_schema=False)
async def sign_in_oidc(request: Request, staff_auth: NamedDependency[StaffAuth], api: NamedDependency[ApiContext]) -> Response[Any]:
    """Off to the OpenID Provider, with state, nonce and PKCE remembered in this session.

    A link, not a form: the page's CSP (form-action 'self') would stop a form's redirect to the
    provider. Starting a sign-in changes nothing; the state bound to this session is what stops a
    forged callback.
    """
    session, fresh = await _visitor_session(request, staff_auth)
    if not staff_auth.oidc.enabled:
        return _sign_in_page(request, staff_auth, session, fresh, 400, N_("Sign-in with your organisation's account is not set up."))
    if _too_many(request, api):
        return _sign_in_page(request, staff_auth, session, fresh, 429, N_("Too many attempts from your address. Wait a minute and try again."))
    try:
        url, session.pending = await staff_auth.oidc.begin(_return_path(request.query_params.get("terug")))
    except OidcUnavailable as outage:
        log.error("OIDC sign-in cannot start: %s", outage)
        return _provider_away(request, staff_auth, session, fresh)
    await staff_auth.sessions.remember(session)
    response = Redirect(url, status_code=303)
    if fresh:
        set_session_cookie(response, session, request.app.state["settings"])
    return response


@get("/admin/oidc/callback", include_in_schema=False)
async def oidc_callback(
    request: Request,
    staff_auth: NamedDependency[StaffAuth],
    api: NamedDependency[ApiContext],
    code: Annotated[str | None, QueryParameter(max_length=2000)] = None,
    oidc_state: Annotated[str | None, QueryParameter(name="state", max_length=200)] = None,  # `state` is reserved by Litestar
    error: Annotated[str | None, QueryParameter(max_length=200)] = None,
) -> Response[Any]:
    """The provider sends the browser back: check everything, then a new session for the staff member."""
    session, fresh = await _visitor_session(request, staff_auth)
    try:
        claims = await staff_auth.oidc.finish(session.pending, code, oidc_state, error)
    except OidcRefused as refusal:
        log.warning("OIDC sign-in refused from %s: %s", _address(request), refusal)
        return _sign_in_page(request, staff_auth, session, fresh, 400, N_("Signing in with your organisation's account did not succeed. Try again."))
    except OidcUnavailable as outage:
        log.error("OIDC sign-in cannot finish: %s", outage)
        return _provider_away(request, staff_auth, session, fresh)
    subject = f"{claims['iss']}|{claims['sub']}"
    member = await users.oidc_staff_member(api.engine, subject, claims, staff_auth.oidc.role_for(claims), _address(request))
    if member is None:
        return _sign_in_page(request, staff_auth, session, fresh, 403, N_("Your account has no role in the registry yet. Ask an administrator."))
    return await _signed_in(request, staff_auth, session, member, "oidc", session.pending.get("return_to", "/admin"))


@post("/admin/uitloggen", include_in_schema=False, status_code=303)
async def sign_out(request: Request, staff_auth: NamedDependency[StaffAuth]) -> Response[Any]:
    """End the session on the server and forget the cookie."""
    session = await session_of(request)
    await checked_form(request, session)
    assert session is not None  # checked_form refuses a request without a session
    audit = None
    if session.signed_in:
        actor = Actor(f"user:{session.username}", Role(session.role), _address(request))
        audit = (actor, AuditEntry(AuditAction.SESSION_END, "staff_user", session.username, None, {"method": "sign_out"}))
    await staff_auth.sessions.end(session.token, audit)
    response = Redirect("/admin/inloggen?uitgelogd=1", status_code=303)
    clear_session_cookie(response)
    return response


ROUTES = [sign_in_form, sign_in_local, sign_in_oidc, oidc_callback, sign_out]
