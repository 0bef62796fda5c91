"""API clients of billing systems for administrators: list, create, give a new secret, disable."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from registry.admin.support import actor_of, admin_page, checked_form, field_messages, requires, session_of
from registry.api.context import ApiContext
from registry.auth.sessions import StaffSession
from registry.messages import N_
from registry.roles import Permission
from registry.services.errors import FieldError, ValidationFailed
from registry.services.sql import reading
from registry.services.staff import client_usage, clients
from registry.services.staff.clients import NewCredentials

GUARD = [requires(Permission.API_CLIENTS_MANAGE)]
# The confirmation pages post this; a post without it only shows the question again.
CONFIRMED = "ja"


async def _list_page(request: Request, api: ApiContext, session: StaffSession, status: int = 200,
                     errors: list[FieldError] | None = None, name: str = "") -> Response[str]:
    async with reading(api.engine) as reader:
        items = await client_usage.summaries(reader)
    disabled = request.query_params.get("uitgeschakeld")
    return admin_page(request, "admin/api_clients.html", session, status, section="clients", items=items,
                      errors=field_messages(request, errors or []), name=name, recent_days=client_usage.RECENT_DAYS,
                      disabled=next((item for item in items if item.client_id == disabled and not item.active), None))


def _secret_page(request: Request, api: ApiContext, session: StaffSession, credentials: NewCredentials, name: str,
                 new_client: bool) -> Response[str]:
    return admin_page(request, "admin/api_client_secret.html", session, section="clients", credentials=credentials, name=name,
                      new_client=new_client, token_endpoint=f"{api.settings.public_url}/oauth/token")


async def _confirm_page(request: Request, api: ApiContext, session: StaffSession, client_id: str, action: str) -> Response[str]:
    """The question before a rotation or a disabling; 404 for an unknown client, 409 when it is disabled already."""
    client = await client_usage.find(api.engine, client_id)
    if client is None:
        return admin_page(request, "errors/error.html", session, 404, heading=N_("Not found"),
                          explanation=N_("There is no API client with this client id."))
    return admin_page(request, "admin/api_client_confirm.html", session, 200 if client.active else 409, section="clients",
                      client=client, rotating=action == "nieuw-geheim", action_path=f"/admin/api-clients/{client.client_id}/{action}")


@get("/admin/api-clients", include_in_schema=False, guards=GUARD)
async def client_list(request: Request, api: NamedDependency[ApiContext]) -> Response[str]:
    """Every client with its status, last use and verifications, and the form for a new one."""
    return await _list_page(request, api, await session_of(request))


@post("/admin/api-clients", include_in_schema=False, guards=GUARD, status_code=200)
async def client_create(request: Request, api: NamedDependency[ApiContext]) -> Response[str]:
    """Register a billing system and show its secret, this once."""
    session = await session_of(request)
    form = await checked_form(request, session)
    assert session is not None  # checked_form refuses a request without a session
    name = form.get("name", "")
    try:
        credentials = await clients.create_client(api.engine, actor_of(request, session), name)
    except ValidationFailed as refused:
        return await _list_page(request, api, session, 400, refused.errors, name)
    await api.index.catch_up()
    return _secret_page(request, api, session, credentials, name.strip(), new_client=True)


@get("/admin/api-clients/{client_id:str}/nieuw-geheim", include_in_schema=False, guards=GUARD)
async def client_rotate_confirm(request: Request, api: NamedDependency[ApiContext], client_id: FromPath[str]) -> Response[str]:
    """Ask before giving a client a new secret."""
    return await _confirm_page(request, api, await session_of(request), client_id, "nieuw-geheim")


@get("/admin/api-clients/{client_id:str}/uitschakelen", include_in_schema=False, guards=GUARD)
async def client_disable_confirm(request: Request, api: NamedDependency[ApiContext], client_id: FromPath[str]) -> Response[str]:
    """Ask before disabling a client."""
    return await _confirm_page(request, api, await session_of(request), client_id, "uitschakelen")


@post("/admin/api-clients/{client_id:str}/nieuw-geheim", include_in_schema=False, guards=GUARD, status_code=200)
async def client_rotate(request: Request, api: NamedDependency[ApiContext], client_id: FromPath[str]) -> Response[str]:
    """A new secret, shown once; the old one stops working at once."""
    session = await session_of(request)
    form = await checked_form(request, session)
    assert session is not None
    client = await client_usage.find(api.engine, client_id)
    if client is None or not client.active or form.get("bevestigd") != CONFIRMED:
        return await _confirm_page(request, api, session, client_id, "nieuw-geheim")
    credentials = await clients.rotate_secret(api.engine, actor_of(request, session), client.client_id)
    await api.index.catch_up()
    return _secret_page(request, api, session, credentials, client.name, new_client=False)


@post("/admin/api-clients/{client_id:str}/uitschakelen", include_in_schema=False, guards=GUARD, status_code=303)
async def client_disable(request: Request, api: NamedDependency[ApiContext], client_id: FromPath[str]) -> Response[Any]:
    """Stop a client: no new tokens, and the tokens it holds are refused from now on."""
    session = await session_of(request)
    form = await checked_form(request, session)
    assert session is not None
    client = await client_usage.find(api.engine, client_id)
    if client is None or not client.active or form.get("bevestigd") != CONFIRMED:
        return await _confirm_page(request, api, session, client_id, "uitschakelen")
    await clients.disable_client(api.engine, actor_of(request, session), client.client_id)
    # This instance refuses the client's tokens at once; others follow the audit trail within moments.
    await api.index.catch_up()
    return Redirect(f"/admin/api-clients?{urlencode({'uitgeschakeld': client.client_id})}", status_code=303)


ROUTES = [client_list, client_create, client_rotate_confirm, client_rotate, client_disable_confirm, client_disable]
