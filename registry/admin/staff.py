"""Staff accounts for administrators: the list, new local accounts (a one-time password or an invitation link), roles, disabling and enabling."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from registry.admin.context import AppContext
from registry.admin.guards import requires
from registry.admin.support import StaffController, StaffPages
from registry.messages import N_
from registry.public.labels import ROLE_NAMES
from registry.roles import Permission
from registry.services.audit import Actor
from registry.services.errors import FieldError, NotFound, Refusal, ValidationFailed
from registry.services.staff import invitations, users
from registry.services.staff.invitations import Invitation

ROLE_OPTIONS = list(ROLE_NAMES.items())
ACTIVE_OPTIONS = [("1", N_("active: may sign in")), ("0", N_("disabled: cannot sign in"))]
NEW_ACCOUNT_FIELDS = ("username", "display_name", "email", "role")
LABELS = {
    "username": N_("Username"),
    "display_name": N_("Name"),
    "email": N_("E-mail address"),
    "role": N_("Role"),
    "password": N_("Password"),
    "password_repeat": N_("Password again"),
    "active": N_("Status"),
}
NO_SUCH_ACCOUNT = N_("There is no staff account with this number.")
GUARD = [requires(Permission.STAFF_MANAGE)]
# The confirmation page posts this; a post without it only shows the question again.
CONFIRMED = "ja"


def _new_account_page(page: StaffPages, status: int, values: dict[str, str], errors: dict[str, str]) -> Response[str]:
    return page("admin/staff_new.html", status, section="staff", values=values, errors=errors, labels=LABELS, role_options=ROLE_OPTIONS,
                min_password=users.MIN_PASSWORD_LENGTH)


def _invite_page(page: StaffPages, status: int, values: dict[str, str], errors: dict[str, str]) -> Response[str]:
    return page("admin/staff_invite.html", status, section="staff", values=values, errors=errors, labels=LABELS, role_options=ROLE_OPTIONS,
                valid_hours=invitations.VALID_SECONDS // 3600)


def _link_page(app_context: AppContext, page: StaffPages, invitation: Invitation, name: str, new_account: bool) -> Response[str]:
    """The invitation link, shown this once."""
    return page("admin/staff_invitation_link.html", section="staff", invitation=invitation, name=name, new_account=new_account,
                link=app_context.api.public_url(page.request.scope) + invitation.path)


def _reissue_question(page: StaffPages, member: dict[str, Any], refusal: str | None) -> Response[str]:
    """The question before a new link; 409 saying why when the account cannot have one."""
    return page("admin/staff_invitation_confirm.html", 409 if refusal else 200, section="staff", member=member, refusal=refusal,
                valid_hours=invitations.VALID_SECONDS // 3600)


def _account_page(request: Request, page: StaffPages, member: dict[str, Any], status: int = 200,
                  values: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> Response[str]:
    shown = values or {"role": member["role"], "active": "1" if member["active"] else "0"}
    return page("admin/staff_member.html", status, section="staff", member=member, values=shown, errors=errors or {}, labels=LABELS,
                role_options=ROLE_OPTIONS, active_options=ACTIVE_OPTIONS, own=member["id"] == page.session.staff_user,
                done=request.query_params.get("gelukt"))


class StaffAccountsController(StaffController):
    """/admin/medewerkers (administrators): staff accounts."""

    path = "/admin/medewerkers"

    @get("/", guards=[requires(Permission.STAFF_MANAGE)])
    async def staff_list(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages]) -> Response[str]:
        """Every staff account: role, how it signs in, whether it may, and when it last did."""
        return page("admin/staff.html", section="staff", members=await users.staff_members(app_context.engine))

    @get("/nieuw", guards=[requires(Permission.STAFF_MANAGE)])
    async def new_account_form(self, page: NamedDependency[StaffPages]) -> Response[str]:
        """An empty form for a local account."""
        return _new_account_page(page, 200, {"role": "viewer"}, {})

    @post("/nieuw", guards=[requires(Permission.STAFF_MANAGE)])
    async def create_account(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                             form_fields: NamedDependency[dict[str, str]], actor: NamedDependency[Actor]) -> Response[Any]:
        """Create the local account and show it."""
        try:
            user_id = await users.create_local_account(
                app_context.engine, actor, form_fields.get("username", ""), form_fields.get("display_name", ""), form_fields.get("email", ""),
                form_fields.get("role", ""), form_fields.get("password", ""), form_fields.get("password_repeat", ""))
        except ValidationFailed as failure:
            # The passwords are never sent back into the page.
            values = {name: form_fields.get(name, "") for name in NEW_ACCOUNT_FIELDS}
            return _new_account_page(page, 400, values, page.messages(failure.errors))
        return Redirect(f"/admin/medewerkers/{user_id}?gelukt=aangemaakt", status_code=303)

    @get("/uitnodigen", guards=GUARD)
    async def invite_form(self, page: NamedDependency[StaffPages]) -> Response[str]:
        """An empty form for a local account whose holder chooses their own password through a link."""
        return _invite_page(page, 200, {"role": "viewer"}, {})

    @post("/uitnodigen", guards=GUARD, status_code=200)
    async def invite(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                     form_fields: NamedDependency[dict[str, str]], actor: NamedDependency[Actor]) -> Response[str]:
        """Create the account without a password and show its invitation link, this once."""
        values = {name: form_fields.get(name, "") for name in NEW_ACCOUNT_FIELDS}
        try:
            invitation = await invitations.invite_account(app_context.engine, actor, values["username"], values["display_name"],
                                                          values["email"], values["role"])
        except ValidationFailed as failure:
            return _invite_page(page, 400, values, page.messages(failure.errors))
        return _link_page(app_context, page, invitation, values["display_name"].strip() or invitation.username, new_account=True)

    @get("/{user_id:int}/uitnodiging", guards=GUARD)
    async def reissue_question(self, user_id: FromPath[int], app_context: NamedDependency[AppContext],
                               page: NamedDependency[StaffPages]) -> Response[str]:
        """Ask before making a new link (the open one stops working)."""
        try:
            member = await users.staff_member(app_context.engine, user_id)
        except NotFound:
            return page.not_found(NO_SUCH_ACCOUNT)
        return _reissue_question(page, member, invitations.no_new_link(member["awaiting_password"], member["active"]))

    @post("/{user_id:int}/uitnodiging", guards=GUARD, status_code=200)
    async def reissue(self, user_id: FromPath[int], app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                      form_fields: NamedDependency[dict[str, str]], actor: NamedDependency[Actor]) -> Response[str]:
        """Once confirmed, a new link, shown this once; the open one stops working at once."""
        try:
            member = await users.staff_member(app_context.engine, user_id)
        except NotFound:
            return page.not_found(NO_SUCH_ACCOUNT)
        if form_fields.get("bevestigd") != CONFIRMED:
            return _reissue_question(page, member, invitations.no_new_link(member["awaiting_password"], member["active"]))
        try:
            invitation = await invitations.reissue(app_context.engine, actor, user_id)
        except Refusal as refusal:  # the account changed since the question was asked
            return _reissue_question(page, member, refusal.template)
        return _link_page(app_context, page, invitation, member["display_name"] or member["username"], new_account=False)

    @get("/{user_id:int}", guards=[requires(Permission.STAFF_MANAGE)])
    async def account(self, request: Request, user_id: FromPath[int], app_context: NamedDependency[AppContext],
                      page: NamedDependency[StaffPages]) -> Response[str]:
        """One account, with the form for its role and status."""
        try:
            member = await users.staff_member(app_context.engine, user_id)
        except NotFound:
            return page.not_found(NO_SUCH_ACCOUNT)
        return _account_page(request, page, member)

    @post("/{user_id:int}", guards=[requires(Permission.STAFF_MANAGE)])
    async def change_account(self, request: Request, user_id: FromPath[int], app_context: NamedDependency[AppContext],
                             page: NamedDependency[StaffPages], form_fields: NamedDependency[dict[str, str]],
                             actor: NamedDependency[Actor]) -> Response[Any]:
        """Set the role and status; the person's sessions end so that the change applies to their next request."""
        active = {"1": True, "0": False}.get(form_fields.get("active", ""))
        try:
            if active is None:
                raise ValidationFailed([FieldError.said("active", N_("choose whether the account may sign in"))])
            changed = await users.change_account(app_context.engine, actor, user_id, form_fields.get("role", ""), active, page.session.staff_user)
        except NotFound:
            return page.not_found(NO_SUCH_ACCOUNT)
        except ValidationFailed as failure:
            try:
                member = await users.staff_member(app_context.engine, user_id)
            except NotFound:
                return page.not_found(NO_SUCH_ACCOUNT)
            values = {"role": form_fields.get("role", ""), "active": form_fields.get("active", "")}
            return _account_page(request, page, member, 400, values, page.messages(failure.errors))
        if changed:
            await app_context.sessions.end_all_of(user_id)
        return Redirect(f"/admin/medewerkers/{user_id}?gelukt={'gewijzigd' if changed else 'ongewijzigd'}", status_code=303)


PASSWORD_LABELS = {
    "current_password": N_("Current password"),
    "new_password": N_("New password"),
    "new_password_repeat": N_("New password again"),
}


class OwnPasswordController(StaffController):
    """/admin/wachtwoord: every staff member with a local account sets their own password (a one-time password first of all)."""

    path = "/admin/wachtwoord"

    def _form(self, page: StaffPages, status: int = 200, errors: dict[str, str] | None = None, done: bool = False) -> Response[str]:
        return page("admin/own_password.html", status, section="password", errors=errors or {}, labels=PASSWORD_LABELS, done=done,
                    first=page.session.must_change_password, min_password=users.MIN_PASSWORD_LENGTH)

    @get("/", guards=[requires(Permission.REGISTRY_READ, during_password_change=True)])
    async def password_form(self, request: Request, page: NamedDependency[StaffPages]) -> Response[str]:
        """The form: current password, new password twice."""
        return self._form(page, done=request.query_params.get("gelukt") == "1")

    @post("/", guards=[requires(Permission.REGISTRY_READ, during_password_change=True)])
    async def change_password(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                              form_fields: NamedDependency[dict[str, str]], actor: NamedDependency[Actor]) -> Response[Any]:
        """Check the current password and set the new one; the staff member's other sessions end."""
        user_id = page.session.staff_user
        assert user_id is not None  # the guard lets only a signed-in staff member through
        try:
            await users.change_own_password(app_context.engine, actor, user_id, form_fields.get("current_password", ""),
                                            form_fields.get("new_password", ""), form_fields.get("new_password_repeat", ""))
        except ValidationFailed as failure:
            return self._form(page, 400, page.messages(failure.errors))
        await app_context.sessions.end_all_of(user_id, keep=page.session.token)
        return Redirect("/admin/wachtwoord?gelukt=1", status_code=303)
