"""Fixtures for functional tests that go through HTTP."""

from __future__ import annotations

import contextlib
from typing import AsyncIterator

import httpx
import pytest

from registry.app import create_app
from registry.settings import Settings
from tests.functional.api_client import ApiSession


@contextlib.asynccontextmanager
async def open_session(settings: Settings) -> AsyncIterator[ApiSession]:
    """An app instance for these settings with its lifespan running on this loop, and an httpx client for it."""
    app = create_app(settings)
    # The lifespan's own steps: Litestar's lifespan() would cross tasks between fixture setup and teardown.
    await app.state.start()
    try:
        transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as http:
            yield ApiSession(http, app.state.api)
    finally:
        await app.state.stop()


@pytest.fixture
async def session(settings: Settings) -> AsyncIterator[ApiSession]:
    """One app instance on this test's database."""
    async with open_session(settings) as opened:
        yield opened
