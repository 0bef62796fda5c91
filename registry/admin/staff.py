"""Staff accounts for administrators: the list, new local accounts, roles, disabling and enabling."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from registry.admin.support import StaffAuth, actor_of, admin_page, checked_form, field_messages, requires, session_of
from registry.api.context import ApiContext
from registry.auth.sessions import StaffSession
from registry.messages import N_
from registry.public.labels import ROLE_NAMES
from registry.public.page_support import not_found
from registry.roles import Permission
from registry.services.errors import FieldError, NotFound, ValidationFailed
from registry.services.staff import users

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


def _new_account_page(request: Request, session: StaffSession, status: int, values: dict[str, str], errors: dict[str, str]) -> Response[str]:
    return admin_page(request, "admin/staff_new.html", session, status, section="staff", values=values, errors=errors,
                      labels=LABELS, role_options=ROLE_OPTIONS, min_password=users.MIN_PASSWORD_LENGTH)


def _account_page(request: Request, session: StaffSession, member: dict[str, Any], status: int = 200,
                  values: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> Response[str]:
    shown = values or {"role": member["role"], "active": "1" if member["active"] else "0"}
    return admin_page(request, "admin/staff_member.html", session, status, section="staff", member=member, values=shown,
                      errors=errors or {}, labels=LABELS, role_options=ROLE_OPTIONS, active_options=ACTIVE_OPTIONS,
                      own=member["id"] == session.staff_user, done=request.query_params.get("gelukt"))


@get("/admin/medewerkers", include_in_schema=False, guards=[requires(Permission.STAFF_MANAGE)])
async def staff_list(request: Request, api: NamedDependency[ApiContext]) -> Response[str]:
    """Every staff account: role, how it signs in, whether it may, and when it last did."""
    return admin_page(request, "admin/staff.html", await session_of(request), section="staff",
                      members=await users.staff_members(api.engine))


@get("/admin/medewerkers/nieuw", include_in_schema=False, guards=[requires(Permission.STAFF_MANAGE)])
async def new_account_form(request: Request) -> Response[str]:
    """An empty form for a local account."""
    return _new_account_page(request, await session_of(request), 200, {"role": "viewer"}, {})


@post("/admin/medewerkers/nieuw", include_in_schema=False, guards=[requires(Permission.STAFF_MANAGE)])
async def create_account(request: Request, api: NamedDependency[ApiContext]) -> Response[Any]:
    """Create the local account and show it."""
    session = await session_of(request)
    form = await checked_form(request, session)
    try:
        user_id = await users.create_local_account(
            api.engine, actor_of(request, session), form.get("username", ""), form.get("display_name", ""), form.get("email", ""),
            form.get("role", ""), form.get("password", ""), form.get("password_repeat", ""))
    except ValidationFailed as failure:
        # The passwords are never sent back into the page.
        values = {name: form.get(name, "") for name in NEW_ACCOUNT_FIELDS}
        return _new_account_page(request, session, 400, values, field_messages(request, failure.errors))
    return Redirect(f"/admin/medewerkers/{user_id}?gelukt=aangemaakt", status_code=303)


@get("/admin/medewerkers/{user_id:int}", include_in_schema=False, guards=[requires(Permission.STAFF_MANAGE)])
async def account(request: Request, user_id: FromPath[int], api: NamedDependency[ApiContext]) -> Response[str]:
    """One account, with the form for its role and status."""
    try:
        member = await users.staff_member(api.engine, user_id)
    except NotFound:
        return not_found(request, request.app.state["pages"], NO_SUCH_ACCOUNT)
    return _account_page(request, await session_of(request), member)


@post("/admin/medewerkers/{user_id:int}", include_in_schema=False, guards=[requires(Permission.STAFF_MANAGE)])
async def change_account(request: Request, user_id: FromPath[int], api: NamedDependency[ApiContext],
                         staff_auth: NamedDependency[StaffAuth]) -> Response[Any]:
    """Set the role and status; the person's sessions end so that the change applies to their next request."""
    session = await session_of(request)
    form = await checked_form(request, session)
    active = {"1": True, "0": False}.get(form.get("active", ""))
    try:
        if active is None:
            raise ValidationFailed([FieldError.said("active", N_("choose whether the account may sign in"))])
        changed = await users.change_account(api.engine, actor_of(request, session), user_id, form.get("role", ""), active,
                                             session.staff_user)
    except NotFound:
        return not_found(request, request.app.state["pages"], NO_SUCH_ACCOUNT)
    except ValidationFailed as failure:
        try:
            member = await users.staff_member(api.engine, user_id)
        except NotFound:
            return not_found(request, request.app.state["pages"], NO_SUCH_ACCOUNT)
        values = {"role": form.get("role", ""), "active": form.get("active", "")}
        return _account_page(request, session, member, 400, values, field_messages(request, failure.errors))
    if changed:
        await staff_auth.sessions.end_all_of(user_id)
    return Redirect(f"/admin/medewerkers/{user_id}?gelukt={'gewijzigd' if changed else 'ongewijzigd'}", status_code=303)


ROUTES = [staff_list, new_account_form, create_account, account, change_account]
