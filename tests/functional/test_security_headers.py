"""Security headers on every kind of response, and /schema that production can switch off."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.functional.api_client import ApiSession
from tests.functional.conftest import open_session


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/health/live"), ("GET", "/api/v1/programmes"), ("GET", "/nowhere"), ("DELETE", "/health/live"),
     ("POST", "/api/v1/verifications"), ("GET", "/api/v1/changes?after=bad"), ("GET", "/.well-known/jwks.json"),
     ("GET", "/admin"), ("GET", "/admin/inloggen"), ("POST", "/admin/coaches/nieuw"), ("GET", "/coaches/NOBODY"), ("GET", "/zoeken?q=x")],
)
async def test_every_response_carries_the_security_headers(session: ApiSession, method: str, path: str) -> None:
    response = await session.http.request(method, path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers  # plain HTTP here
    if path.startswith("/admin"):
        assert response.headers["cache-control"] == "no-store"  # staff pages never stay in a cache or the back button


async def test_verification_answers_are_never_stored_and_hsts_over_https(session: ApiSession) -> None:
    response = await session.http.post("/api/v1/verifications", json={})
    assert response.status_code == 401 and response.headers["cache-control"] == "no-store"
    secure = await session.http.get("https://registry.test/health/live")
    assert secure.headers["strict-transport-security"].startswith("max-age=")


async def test_schema_can_be_switched_off(settings) -> None:
    async with open_session(settings) as on:
        assert (await on.http.get("/schema/openapi.json")).status_code == 200
    async with open_session(replace(settings, openapi_enabled=False)) as off:
        assert (await off.http.get("/schema/openapi.json")).status_code == 404
