"""Health endpoints, through HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from registry.app import create_app
from registry.settings import Settings


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registry.test")


async def test_live_and_ready_on_a_migrated_database(settings: Settings, engine: Any) -> None:
    async with client_for(create_app(settings, engine)) as client:
        live = await client.get("/health/live")
        ready = await client.get("/health/ready")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})


async def test_ready_says_unavailable_before_migrations(tmp_path: Any) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/empty.db")
    async with client_for(create_app(settings)) as client:
        ready = await client.get("/health/ready")
    assert ready.status_code == 503 and ready.headers["content-type"].startswith("application/problem+json")
    assert ready.json()["type"].endswith("/unavailable") and ready.json()["pending_migrations"]
