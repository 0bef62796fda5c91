"""Helpers for tests of the HTTP API: the app in-process over httpx, clients and tokens."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from registry.api.context import ApiContext
from registry.services.staff.clients import create_client
from tests.functional.helpers import OPERATOR


class ApiSession:
    """An httpx client talking to the app in-process, and the app's shared parts."""

    def __init__(self, http: httpx.AsyncClient, api: ApiContext):
        self.http = http
        self.api = api

    @property
    def engine(self) -> Any:
        return self.api.engine

    async def new_client(self, name: str = "Zorgverzekeraar Test") -> tuple[str, str]:
        """A registered client's id and secret."""
        credentials = await create_client(self.engine, OPERATOR, name)
        return credentials.client_id, credentials.client_secret

    async def recorded(self) -> None:
        """What the instance that recorded a change does after committing it: bring its index up to date."""
        await self.api.index.catch_up()

    async def token_for(self, client_id: str, secret: str) -> str:
        """An access token by HTTP Basic client authentication."""
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        response = await self.http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    async def bearer(self, name: str = "Zorgverzekeraar Test") -> dict[str, str]:
        """Authorization headers for a fresh client."""
        client_id, secret = await self.new_client(name)
        return {"Authorization": f"Bearer {await self.token_for(client_id, secret)}"}
