"""Signing in (local account or the OpenID Provider) and out. A new session id at every sign-in."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.response import Redirect

from registry.admin.context import AppContext
from registry.admin.guards import session_of
from registry.admin.support import StaffController
from registry.auth.oidc import OidcRefused, OidcUnavailable
from registry.auth.sessions import clear_session_cookie, set_session_cookie
from registry.messages import N_
from registry.outages import RETRY_AFTER_SECONDS
from registry.public.page_support import local_path, render_page
from registry.roles import Role
from registry.services.audit import Actor, AuditAction, AuditEntry
from registry.services.staff import users
from registry.services.staff.sessions import StaffSession

log = logging.getLogger(__name__)
TOO_MANY = N_("Too many attempts from your address. Wait a minute and try again.")


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _return_path(target: str | None) -> str:
    """Where to go after signing in: a staff path on this site, else the dashboard."""
    return local_path(target, "/admin")


@dataclass(frozen=True)
class Visitor:
    """This browser's session, signed in or not; `fresh` when it was started by this request (so its cookie must be set)."""

    request: Request
    context: AppContext
    session: StaffSession
    fresh: bool

    def with_cookie(self, response: Response[Any]) -> Response[Any]:
        """The response, setting the session cookie when the session is new."""
        if self.fresh:
            set_session_cookie(response, self.session, self.context.settings.session_absolute_seconds)
        return response

    def page(self, status: int = 200, error: str | None = None, username: str = "") -> Response[Any]:
        """The sign-in page, with `error` saying why the last attempt did not succeed."""
        request = self.request
        return self.with_cookie(render_page(
            request, self.context.pages, "admin/sign_in.html", status, section="admin", csrf_token=self.session.csrf_token,
            oidc_enabled=self.context.oidc.enabled, error=error, username=username,
            return_to=_return_path(request.query_params.get("terug")), signed_out=request.query_params.get("uitgelogd") == "1"))

    def provider_away(self) -> Response[Any]:
        """The sign-in page saying the organisation's sign-in service is away, with Retry-After."""
        page = self.page(503, N_("Your organisation's sign-in service cannot be reached right now. "
                                 "Try again in a few minutes, or sign in with a local account."))
        page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return page

    def too_many(self) -> bool:
        """One more sign-in attempt from this address is over the limit."""
        settings = self.context.settings
        return not self.context.api.limiter.take(f"login:{_address(self.request)}", 1, settings.login_rate_limit_per_minute).allowed

    async def signed_in(self, member: dict[str, Any], how: str, return_to: str) -> Response[Any]:
        """Replace the visitor's session by a new one for the staff member (never reuse the id)."""
        address = _address(self.request)
        actor = Actor(f"user:{member['username']}", Role(member["role"]), address)
        audit = (actor, AuditEntry(AuditAction.SESSION_START, "staff_user", member["username"], None, {"method": how}))
        session = await self.context.sessions.start(member["id"], address, replacing=self.session.token, audit=audit)
        response = Redirect(_return_path(return_to), status_code=303)
        set_session_cookie(response, session, self.context.settings.session_absolute_seconds)
        return response


async def provide_visitor(request: Request, app_context: NamedDependency[AppContext]) -> Visitor:
    """This browser's session, or a new visitor session."""
    session = await session_of(request)
    if session is not None:
        return Visitor(request, app_context, session, fresh=False)
    return Visitor(request, app_context, await app_context.sessions.start(address=_address(request)), fresh=True)


class SignInController(StaffController):
    """/admin/inloggen, the OpenID Provider's way back, and /admin/uitloggen."""

    path = "/admin"
    dependencies = {**StaffController.dependencies, "visitor": Provide(provide_visitor)}

    @get("/inloggen")
    async def sign_in_form(self, request: Request, visitor: NamedDependency[Visitor]) -> Response[Any]:
        """The sign-in page: the organisation's account, or a local account."""
        if visitor.session.signed_in:
            return Redirect(_return_path(request.query_params.get("terug")), status_code=303)
        return visitor.page()

    @post("/inloggen", status_code=303)
    async def sign_in_local(self, app_context: NamedDependency[AppContext], visitor: NamedDependency[Visitor],
                            form_fields: NamedDependency[dict[str, str]]) -> Response[Any]:
        """Check a local account's password; on success a new session."""
        if visitor.too_many():
            response = visitor.page(429, TOO_MANY)
            response.headers["Retry-After"] = "60"
            return response
        member = await users.authenticate(app_context.engine, form_fields.get("username", ""), form_fields.get("password", ""))
        if member is None:
            return visitor.page(400, N_("The username or password is not right."), form_fields.get("username", ""))
        return await visitor.signed_in(member, "password", form_fields.get("return_to", "/admin"))

    @get("/inloggen/oidc")
    async def sign_in_oidc(self, request: Request, app_context: NamedDependency[AppContext], visitor: NamedDependency[Visitor]) -> Response[Any]:
        """Off to the OpenID Provider, with state, nonce and PKCE remembered in this session.

        A link, not a form: the page's CSP (form-action 'self') would stop a form's redirect to the
        provider. Starting a sign-in changes nothing; the state bound to this session is what stops a
        forged callback.
        """
        if not app_context.oidc.enabled:
            return visitor.page(400, N_("Sign-in with your organisation's account is not set up."))
        if visitor.too_many():
            return visitor.page(429, TOO_MANY)
        try:
            url, visitor.session.pending = await app_context.oidc.begin(_return_path(request.query_params.get("terug")))
        except OidcUnavailable as outage:
            log.error("OIDC sign-in cannot start: %s", outage)
            return visitor.provider_away()
        await app_context.sessions.remember(visitor.session)
        return visitor.with_cookie(Redirect(url, status_code=303))

    @get("/oidc/callback")
    async def oidc_callback(
        self,
        request: Request,
        app_context: NamedDependency[AppContext],
        visitor: NamedDependency[Visitor],
        code: Annotated[str | None, QueryParameter(max_length=2000)] = None,
        oidc_state: Annotated[str | None, QueryParameter(name="state", max_length=200)] = None,  # `state` is reserved by Litestar
        error: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Response[Any]:
        """The provider sends the browser back: check everything, then a new session for the staff member."""
        pending = visitor.session.pending
        try:
            claims = await app_context.oidc.finish(pending, code, oidc_state, error)
        except OidcRefused as refusal:
            log.warning("OIDC sign-in refused from %s: %s", _address(request), refusal)
            return visitor.page(400, N_("Signing in with your organisation's account did not succeed. Try again."))
        except OidcUnavailable as outage:
            log.error("OIDC sign-in cannot finish: %s", outage)
            return visitor.provider_away()
        subject = f"{claims['iss']}|{claims['sub']}"
        member = await users.oidc_staff_member(app_context.engine, subject, claims, app_context.oidc.role_for(claims), _address(request))
        if member is None:
            return visitor.page(403, N_("Your account has no role in the registry yet. Ask an administrator."))
        return await visitor.signed_in(member, "oidc", pending.get("return_to", "/admin"))

    @post("/uitloggen", status_code=303)
    async def sign_out(self, request: Request, app_context: NamedDependency[AppContext], session: NamedDependency[StaffSession | None],
                       form_fields: NamedDependency[dict[str, str]]) -> Response[Any]:
        """End the session on the server and forget the cookie."""
        assert session is not None  # the checked form refuses a request without a session
        audit = None
        if session.signed_in:
            actor = Actor(f"user:{session.username}", Role(session.role), _address(request))
            audit = (actor, AuditEntry(AuditAction.SESSION_END, "staff_user", session.username, None, {"method": "sign_out"}))
        await app_context.sessions.end(session.token, audit)
        response = Redirect("/admin/inloggen?uitgelogd=1", status_code=303)
        clear_session_cookie(response)
        return response
