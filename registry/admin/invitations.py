"""/admin/uitnodiging/{token}: a new staff member opens an invitation link, chooses a password and is signed in.

The page comes before sign-in, so it works as the sign-in page does: its CSRF token is bound to the
visitor id in the browser's cookie (no session row until the form is posted), and it is limited per
address. Opening the link only reads (mail scanners fetch links); only the posted form uses it.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from registry.admin.context import AppContext
from registry.admin.guards import checked_sign_in_post
from registry.admin.sign_in import TOO_MANY, Visitor, provide_visitor
from registry.admin.support import StaffController
from registry.i18n import translations
from registry.messages import N_
from registry.public.page_support import language_of, plain_refusal, public_allowance, render_page
from registry.services.errors import FieldError, ValidationFailed
from registry.services.staff import invitations
from registry.services.staff.invitations import InvitationGone, InvitedAccount
from registry.services.staff.users import MIN_PASSWORD_LENGTH

LABELS = {"password": N_("Password"), "password_repeat": N_("Password again")}


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _form(request: Request, app_context: AppContext, visitor: Visitor, account: InvitedAccount, status: int = 200,
          errors: list[FieldError] | None = None) -> Response[Any]:
    """The page "Choose your password" for the account the link is for, with the problems of the last attempt."""
    gettext = translations(language_of(request)).gettext
    messages = {error.field: error.in_language(gettext) for error in errors or []}
    signed_in_as = visitor.session.display_name or visitor.session.username if visitor.session and visitor.session.signed_in else None
    return visitor.with_cookie(render_page(
        request, app_context.pages, "admin/invitation.html", status, section="admin", csrf_token=visitor.csrf_token, account=account,
        errors=messages, labels=LABELS, min_password=MIN_PASSWORD_LENGTH, signed_in_as=signed_in_as, action=request.url.path))


def _gone(request: Request, app_context: AppContext, gone: InvitationGone) -> Response[Any]:
    """One page for a link that does not work: 410 when its time ran out, else 404 (unknown and used read alike)."""
    return render_page(request, app_context.pages, "admin/invitation_gone.html", 410 if gone.expired else 404, section="admin",
                       expired=gone.expired, valid_hours=invitations.VALID_SECONDS // 3600)


class InvitationController(StaffController):
    """/admin/uitnodiging/{token}: open to anyone holding a link; the token is the only key."""

    path = "/admin/uitnodiging"
    dependencies = {**StaffController.dependencies, "visitor": Provide(provide_visitor)}

    @get("/{token:str}")
    async def invitation_form(self, request: Request, token: FromPath[str], app_context: NamedDependency[AppContext],
                              visitor: NamedDependency[Visitor]) -> Response[Any]:
        """The form for an open link; the page saying why for any other. Changes nothing."""
        allowance = public_allowance(request, app_context.api)
        if not allowance.allowed:
            return plain_refusal(request, allowance.retry_after, TOO_MANY)
        try:
            account = await invitations.open_invitation(app_context.engine, token)
        except InvitationGone as gone:
            return _gone(request, app_context, gone)
        return _form(request, app_context, visitor, account)

    @post("/{token:str}", status_code=303, dependencies={"form": Provide(checked_sign_in_post)})
    async def choose_password(self, request: Request, token: FromPath[str], app_context: NamedDependency[AppContext],
                              visitor: NamedDependency[Visitor], form_fields: NamedDependency[dict[str, str]]) -> Response[Any]:
        """Set the password (the link is used up), then sign its holder in with a new session."""
        if visitor.too_many():
            return plain_refusal(request, 60, TOO_MANY)
        try:
            member = await invitations.accept(app_context.engine, token, form_fields.get("password", ""),
                                              form_fields.get("password_repeat", ""), _address(request))
        except InvitationGone as gone:
            return _gone(request, app_context, gone)
        except ValidationFailed as failure:
            try:
                account = await invitations.open_invitation(app_context.engine, token)
            except InvitationGone as gone:
                return _gone(request, app_context, gone)
            return _form(request, app_context, visitor, account, 400, failure.errors)
        return await visitor.signed_in(member, "invitation", "/admin")
