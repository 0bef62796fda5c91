"""Helpers for staff UI tests: the app in-process over HTTPS (the session cookie is Secure), staff accounts, signing in."""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from typing import AsyncIterator

import httpx

from registry.app import create_app
from registry.auth.sessions import COOKIE
from registry.services.staff.users import create_user
from registry.settings import Settings
from tests.functional.helpers import OPERATOR

BASE_URL = "https://registry.test"
PASSWORD = "correct horse battery staple"
ROLES = ("viewer", "editor", "admin")


@contextlib.asynccontextmanager
async def staff_app(settings: Settings, **changes) -> AsyncIterator[tuple[object, httpx.AsyncClient]]:
    """The app on this test's database with its lifespan running, and a client factory's first client."""
    app = create_app(replace(settings, public_url=BASE_URL, **changes))
    await app.state.start()
    try:
        yield app, browser(app)
    finally:
        await app.state.stop()


def browser(app: object, address: str = "192.0.2.20") -> httpx.AsyncClient:
    """A cookie-keeping client, as one browser."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url=BASE_URL)


async def add_staff(app: object) -> None:
    """One local account per role, named after it."""
    for role in ROLES:
        await create_user(app.state.api.engine, OPERATOR, role, PASSWORD, role, display_name=f"{role.title()} Tester")


def csrf_of(html: str) -> str:
    """The CSRF token of the page's first form."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    """Open the sign-in page and post the form, as a browser does."""
    page = await client.get("/admin/inloggen")
    return await client.post("/admin/inloggen", data={"csrf_token": csrf_of(page.text), "username": username, "password": password,
                                                      "return_to": "/admin"})


def session_cookie(client: httpx.AsyncClient) -> str | None:
    """The session id the browser holds."""
    return client.cookies.get(COOKIE)
