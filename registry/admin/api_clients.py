"""API clients of billing systems for administrators: list, create, give a new secret, disable."""

from __future__ import annotations

from typing import Any, Awaitable, Callable
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from registry.admin.context import AppContext
from registry.admin.guards import requires
from registry.admin.support import StaffController, StaffPages
from registry.messages import N_
from registry.roles import Permission
from registry.services.audit import Actor
from registry.services.errors import FieldError, ValidationFailed
from registry.services.sql import reading
from registry.services.staff import client_usage, clients
from registry.services.staff.client_usage import ClientSummary
from registry.services.staff.clients import NewCredentials

GUARD = [requires(Permission.API_CLIENTS_MANAGE)]
# The confirmation pages post this; a post without it only shows the question again.
CONFIRMED = "ja"
ROTATE, DISABLE = "nieuw-geheim", "uitschakelen"


class ApiClientsController(StaffController):
    """/admin/api-clients: every billing system's client, new ones, new secrets and disabling, each confirmed."""

    path = "/admin/api-clients"

    @staticmethod
    async def _list_page(request: Request, app_context: AppContext, page: StaffPages, status: int = 200,
                         errors: list[FieldError] | None = None, name: str = "") -> Response[str]:
        async with reading(app_context.engine) as reader:
            items = await client_usage.summaries(reader)
        disabled = request.query_params.get("uitgeschakeld")
        return page("admin/api_clients.html", status, section="clients", items=items, errors=page.messages(errors or []), name=name,
                    recent_days=client_usage.RECENT_DAYS,
                    disabled=next((item for item in items if item.client_id == disabled and not item.active), None))

    @staticmethod
    def _secret_page(app_context: AppContext, page: StaffPages, credentials: NewCredentials, name: str, new_client: bool) -> Response[str]:
        return page("admin/api_client_secret.html", section="clients", credentials=credentials, name=name, new_client=new_client,
                    token_endpoint=f"{app_context.api.public_url(page.request.scope)}/oauth/token")

    @staticmethod
    async def _confirm_page(app_context: AppContext, page: StaffPages, client_id: str, action: str) -> Response[str]:
        """The question before a rotation or a disabling; 404 for an unknown client, 409 when it is disabled already."""
        client = await client_usage.find(app_context.engine, client_id)
        if client is None:
            return page("errors/error.html", 404, heading=N_("Not found"), explanation=N_("There is no API client with this client id."))
        return page("admin/api_client_confirm.html", 200 if client.active else 409, section="clients", client=client,
                    rotating=action == ROTATE, action_path=f"/admin/api-clients/{client.client_id}/{action}")

    async def _once_confirmed(self, app_context: AppContext, page: StaffPages, form_fields: dict[str, str], client_id: str, action: str,
                              act: Callable[[ClientSummary], Awaitable[Response[Any]]]) -> Response[Any]:
        """Act on an active client once the question was answered; else ask (again). This instance follows the change at once."""
        client = await client_usage.find(app_context.engine, client_id)
        if client is None or not client.active or form_fields.get("bevestigd") != CONFIRMED:
            return await self._confirm_page(app_context, page, client_id, action)
        answer = await act(client)
        # Others follow the audit trail within moments.
        await app_context.api.index.catch_up()
        return answer

    @get("/", guards=GUARD)
    async def client_list(self, request: Request, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages]) -> Response[str]:
        """Every client with its status, last use and verifications, and the form for a new one."""
        return await self._list_page(request, app_context, page)

    @post("/", guards=GUARD, status_code=200)
    async def client_create(self, request: Request, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                            form_fields: NamedDependency[dict[str, str]], actor: NamedDependency[Actor]) -> Response[str]:
        """Register a billing system and show its secret, this once."""
        name = form_fields.get("name", "")
        try:
            credentials = await clients.create_client(app_context.engine, actor, name)
        except ValidationFailed as refused:
            return await self._list_page(request, app_context, page, 400, refused.errors, name)
        await app_context.api.index.catch_up()
        return self._secret_page(app_context, page, credentials, name.strip(), new_client=True)

    @get("/{client_id:str}/nieuw-geheim", guards=GUARD)
    async def client_rotate_confirm(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                                    client_id: FromPath[str]) -> Response[str]:
        """Ask before giving a client a new secret."""
        return await self._confirm_page(app_context, page, client_id, ROTATE)

    @get("/{client_id:str}/uitschakelen", guards=GUARD)
    async def client_disable_confirm(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                                     client_id: FromPath[str]) -> Response[str]:
        """Ask before disabling a client."""
        return await self._confirm_page(app_context, page, client_id, DISABLE)

    @post("/{client_id:str}/nieuw-geheim", guards=GUARD, status_code=200)
    async def client_rotate(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages], client_id: FromPath[str],
                            form_fields: NamedDependency[dict[str, str]], actor: NamedDependency[Actor]) -> Response[Any]:
        """A new secret, shown once; the old one stops working at once."""

        async def rotate(client: ClientSummary) -> Response[str]:
            credentials = await clients.rotate_secret(app_context.engine, actor, client.client_id)
            return self._secret_page(app_context, page, credentials, client.name, new_client=False)

        return await self._once_confirmed(app_context, page, form_fields, client_id, ROTATE, rotate)

    @post("/{client_id:str}/uitschakelen", guards=GUARD, status_code=303)
    async def client_disable(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages], client_id: FromPath[str],
                             form_fields: NamedDependency[dict[str, str]], actor: NamedDependency[Actor]) -> Response[Any]:
        """Stop a client: no new tokens, and the tokens it holds are refused from now on (here at once)."""

        async def disable(client: ClientSummary) -> Response[Any]:
            await clients.disable_client(app_context.engine, actor, client.client_id)
            return Redirect(f"/admin/api-clients?{urlencode({'uitgeschakeld': client.client_id})}", status_code=303)

        return await self._once_confirmed(app_context, page, form_fields, client_id, DISABLE, disable)
