"""Signing in (local account or the OpenID Provider) and out. A new session id at every sign-in.

A browser that has not signed in gets no session in the database until it starts a sign-in with the
OpenID Provider (whose state, nonce and PKCE verifier must be kept on the server): the sign-in form's
CSRF token is bound to a visitor id kept only in its cookie. Every way in is limited per address, and
password attempts also per account, so neither a flood nor a guessing round can load the database.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.response import Redirect

from registry.admin.context import AppContext
from registry.admin.guards import checked_sign_in_post, session_of
from registry.admin.support import StaffController
from registry.auth.oidc import OidcRefused, OidcUnavailable
from registry.auth.sessions import COOKIE, clear_session_cookie, form_token, issued_id, new_visitor_id, set_session_cookie
from registry.log_text import logged
from registry.messages import N_
from registry.outages import RETRY_AFTER_SECONDS
from registry.public.page_support import local_path, plain_refusal, public_allowance, render_page
from registry.roles import Role
from registry.services.audit import Actor, AuditAction, AuditEntry
from registry.services.staff import users
from registry.services.staff.sessions import StaffSession

log = logging.getLogger(__name__)
TOO_MANY = N_("Too many attempts from your address. Wait a minute and try again.")
TOO_MANY_FOR_ACCOUNT = N_("Too many attempts for this account. Wait a minute and try again.")


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _return_path(target: str | None) -> str:
    """Where to go after signing in: a staff path on this site, else the dashboard."""
    return local_path(target, "/admin")


def _account_bucket(username: str) -> str:
    """The rate-limit bucket of one username as the sign-in reads it (hashed: any text fits the bucket's column)."""
    return "login-account:" + hashlib.sha256(username.strip().lower().encode()).hexdigest()


@dataclass(frozen=True)
class Visitor:
    """This browser: its live session if it has one, else a visitor id kept only in its cookie; `fresh` when the cookie must be set."""

    request: Request
    context: AppContext
    session: StaffSession | None
    token: str
    fresh: bool

    @property
    def csrf_token(self) -> str:
        """The sign-in form's CSRF token: the session's, or the one bound to the visitor id."""
        return self.session.csrf_token if self.session is not None else form_token(self.token)

    @property
    def pending(self) -> dict[str, Any]:
        """The OpenID Provider sign-in this browser started, if any."""
        return self.session.pending if self.session is not None else {}

    def with_cookie(self, response: Response[Any]) -> Response[Any]:
        """The response, setting the cookie when this request made the id."""
        if self.fresh:
            set_session_cookie(response, self.token, self.context.settings.session_absolute_seconds)
        return response

    def page(self, status: int = 200, error: str | None = None, username: str = "") -> Response[Any]:
        """The sign-in page, with `error` saying why the last attempt did not succeed."""
        request = self.request
        return self.with_cookie(render_page(
            request, self.context.pages, "admin/sign_in.html", status, section="admin", csrf_token=self.csrf_token,
            oidc_enabled=self.context.oidc.enabled, error=error, username=username,
            return_to=_return_path(request.query_params.get("terug")), signed_out=request.query_params.get("uitgelogd") == "1"))

    def provider_away(self) -> Response[Any]:
        """The sign-in page saying the organisation's sign-in service is away, with Retry-After."""
        page = self.page(503, N_("Your organisation's sign-in service cannot be reached right now. "
                                 "Try again in a few minutes, or sign in with a local account."))
        page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return page

    def refused(self, message: str, retry_after: int = 60) -> Response[Any]:
        """The sign-in page saying there were too many attempts, 429 with Retry-After."""
        response = self.page(429, message)
        response.headers["Retry-After"] = str(retry_after)
        return response

    def too_many(self) -> bool:
        """One more sign-in attempt from this address is over the limit."""
        settings = self.context.settings
        return not self.context.api.limiter.take(f"login:{_address(self.request)}", 1, settings.login_rate_limit_per_minute).allowed

    def too_many_for(self, username: str) -> bool:
        """One more password attempt for this username, from any address, is over the limit."""
        limit = self.context.settings.login_account_rate_limit_per_minute
        return not self.context.api.limiter.take(_account_bucket(username), 1, limit).allowed

    async def with_pending(self, pending: dict[str, Any], to: str) -> Response[Any]:
        """Off to `to`, with the OpenID Provider sign-in remembered on the server (in a new session when there is none)."""
        if self.session is not None:
            self.session.pending = pending
            await self.context.sessions.remember(self.session)
            return Redirect(to, status_code=303)
        session = await self.context.sessions.start(address=_address(self.request), pending=pending)
        response = Redirect(to, status_code=303)
        set_session_cookie(response, session.token, self.context.settings.session_absolute_seconds)
        return response

    async def signed_in(self, member: dict[str, Any], how: str, return_to: str) -> Response[Any]:
        """Replace the visitor's session by a new one for the staff member (never reuse the id)."""
        address = _address(self.request)
        actor = Actor(f"user:{member['username']}", Role(member["role"]), address)
        audit = (actor, AuditEntry(AuditAction.SESSION_START, "staff_user", member["username"], None, {"method": how}))
        replacing = self.session.token if self.session is not None else None
        session = await self.context.sessions.start(member["id"], address, replacing=replacing, audit=audit)
        response = Redirect(_return_path(return_to), status_code=303)
        set_session_cookie(response, session.token, self.context.settings.session_absolute_seconds)
        return response


async def provide_visitor(request: Request, app_context: NamedDependency[AppContext]) -> Visitor:
    """This browser's session; without one, its visitor id (a new one unless the cookie holds one the registry could have made)."""
    session = await session_of(request)
    if session is not None:
        return Visitor(request, app_context, session, session.token, fresh=False)
    kept = issued_id(request.cookies.get(COOKIE))
    return Visitor(request, app_context, None, kept or new_visitor_id(), fresh=kept is None)


class SignInController(StaffController):
    """/admin/inloggen, the OpenID Provider's way back, and /admin/uitloggen."""

    path = "/admin"
    dependencies = {**StaffController.dependencies, "visitor": Provide(provide_visitor)}

    @get("/inloggen")
    async def sign_in_form(self, request: Request, app_context: NamedDependency[AppContext], visitor: NamedDependency[Visitor]) -> Response[Any]:
        """The sign-in page: the organisation's account, or a local account."""
        if visitor.session is not None and visitor.session.signed_in:
            return Redirect(_return_path(request.query_params.get("terug")), status_code=303)
        allowance = public_allowance(request, app_context.api)
        if not allowance.allowed:
            # A flood of this page from one address is answered without rendering anything.
            return plain_refusal(request, allowance.retry_after, TOO_MANY)
        return visitor.page()

    @post("/inloggen", status_code=303, dependencies={"form": Provide(checked_sign_in_post)})
    async def sign_in_local(self, request: Request, app_context: NamedDependency[AppContext], visitor: NamedDependency[Visitor],
                            form_fields: NamedDependency[dict[str, str]]) -> Response[Any]:
        """Check a local account's password; on success a new session."""
        username = form_fields.get("username", "")
        if visitor.too_many():
            return visitor.refused(TOO_MANY)
        if visitor.too_many_for(username):
            return visitor.refused(TOO_MANY_FOR_ACCOUNT)
        member = await users.authenticate(app_context.engine, username, form_fields.get("password", ""))
        if member is None:
            await users.record_refused_sign_in(app_context.engine, username, _address(request))
            return visitor.page(400, N_("The username or password is not right."), username)
        # A one-time password chosen by an administrator is replaced first.
        return_to = "/admin/wachtwoord" if member.get("must_change_password") else form_fields.get("return_to", "/admin")
        return await visitor.signed_in(member, "password", return_to)

    @get("/inloggen/oidc")
    async def sign_in_oidc(self, request: Request, app_context: NamedDependency[AppContext], visitor: NamedDependency[Visitor]) -> Response[Any]:
        """Off to the OpenID Provider, with state, nonce and PKCE remembered on the server: this browser's first session row.

        A link, not a form: the page's CSP (form-action 'self') would stop a form's redirect to the
        provider. Starting a sign-in changes nothing; the state bound to this session is what stops a
        forged callback.
        """
        if not app_context.oidc.enabled:
            return visitor.page(400, N_("Sign-in with your organisation's account is not set up."))
        if visitor.too_many():
            return visitor.refused(TOO_MANY)
        try:
            url, pending = await app_context.oidc.begin(_return_path(request.query_params.get("terug")), app_context.api.public_url(request.scope))
        except OidcUnavailable as outage:
            log.error("OIDC sign-in cannot start: %s", logged(outage))
            return visitor.provider_away()
        return await visitor.with_pending(pending, url)

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
        if visitor.too_many():
            return visitor.refused(TOO_MANY)
        pending = visitor.pending
        try:
            claims = await app_context.oidc.finish(pending, code, oidc_state, error)
        except OidcRefused as refusal:
            log.warning("OIDC sign-in refused from %s: %s", logged(_address(request)), logged(refusal))
            return visitor.page(400, N_("Signing in with your organisation's account did not succeed. Try again."))
        except OidcUnavailable as outage:
            log.error("OIDC sign-in cannot finish: %s", logged(outage))
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
