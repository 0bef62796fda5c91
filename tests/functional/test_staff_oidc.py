"""Staff sign-in through a real OpenID Provider (npm oidc-provider on loopback): code + PKCE + state + nonce."""

from __future__ import annotations

from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from registry.settings import Settings
from tests.functional.staff import BASE_URL, add_staff, session_cookie, sign_in, staff_app
from tests.support.oidc_provider import Provider, complete_login, running_provider
from tests.support.server import free_port

ACCOUNTS = {
    "anna": {"email": "anna@stichting-smr.example", "name": "Anna de Boer", "roles": ["smr-editors"]},
    "bram": {"email": "bram@stichting-smr.example", "name": "Bram Visser", "roles": ["other-team"]},
}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    """One provider for the module; it knows the registry's callback."""
    with running_provider([f"{BASE_URL}/admin/oidc/callback"], ACCOUNTS) as running:
        yield running


def oidc_settings(settings: Settings, provider: Provider) -> dict:
    return {"oidc_issuer": provider.issuer, "oidc_client_id": provider.client_id, "oidc_client_secret": provider.client_secret,
            "oidc_role_map": (("smr-editors", "editor"), ("smr-admins", "admin"))}


async def start_sign_in(client) -> str:
    """Press the organisation-account button; the provider's authorization URL."""
    page = await client.get("/admin/inloggen")
    assert "Inloggen met het account van uw organisatie" in page.text
    away = await client.get("/admin/inloggen/oidc", params={"terug": "/admin"})
    assert away.status_code == 303
    return away.headers["location"]


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def test_sign_in_through_the_provider_with_a_mapped_role(settings: Settings, provider: Provider) -> None:
    async with staff_app(settings, **oidc_settings(settings, provider)) as (app, client):
        authorize = await start_sign_in(client)
        asked = query(authorize)
        assert asked["code_challenge_method"] == "S256" and asked["state"] and asked["nonce"] and asked["code_challenge"]
        visitor = session_cookie(client)
        callback = complete_login(authorize, "anna")
        arrived = await client.get(callback.removeprefix(BASE_URL))
        assert arrived.status_code == 303 and arrived.headers["location"] == "/admin"
        assert session_cookie(client) != visitor
        dashboard = await client.get("/admin")
        assert dashboard.status_code == 200 and "Anna de Boer</a> (redacteur)" in dashboard.text  # her name links to her password page
        # The code and state cannot be used a second time.
        again = await client.get(callback.removeprefix(BASE_URL))
        assert again.status_code == 400


async def test_no_role_no_entry_and_a_forged_state_is_refused(settings: Settings, provider: Provider) -> None:
    async with staff_app(settings, **oidc_settings(settings, provider)) as (app, client):
        callback = complete_login(await start_sign_in(client), "bram")
        refused = await client.get(callback.removeprefix(BASE_URL))
        assert refused.status_code == 403 and "heeft nog geen rol" in refused.text
        assert (await client.get("/admin")).status_code == 303
        callback = complete_login(await start_sign_in(client), "anna")
        forged = callback.replace(f"state={query(callback)['state']}", "state=forged")
        assert (await client.get(forged.removeprefix(BASE_URL))).status_code == 400
        assert (await client.get("/admin")).status_code == 303


async def test_a_callback_from_another_browser_is_refused(settings: Settings, provider: Provider) -> None:
    async with staff_app(settings, **oidc_settings(settings, provider)) as (app, client):
        from tests.functional.staff import browser

        callback = complete_login(await start_sign_in(client), "anna")
        victim = browser(app, "198.51.100.3")
        await victim.get("/admin/inloggen")
        assert (await victim.get(callback.removeprefix(BASE_URL))).status_code == 400
        assert (await victim.get("/admin")).status_code == 303


async def test_a_provider_that_cannot_be_reached_is_said_plainly_and_local_accounts_still_work(settings: Settings) -> None:
    away = {"oidc_issuer": f"http://127.0.0.1:{free_port()}", "oidc_client_id": "registry-staff", "oidc_client_secret": "x" * 32}
    async with staff_app(settings, **away) as (app, client):
        await add_staff(app)
        refused = await client.get("/admin/inloggen/oidc", params={"terug": "/admin"})
        assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
        assert "De inlogdienst van uw organisatie is op dit moment niet bereikbaar" in refused.text
        assert 'name="password"' in refused.text  # the local sign-in form is right there
        signed_in = await sign_in(client, "editor")
        assert signed_in.status_code == 303 and (await client.get("/admin")).status_code == 200


async def test_a_provider_gone_between_sign_in_and_callback_is_said_plainly(settings: Settings) -> None:
    with running_provider([f"{BASE_URL}/admin/oidc/callback"], ACCOUNTS) as provider:
        async with staff_app(settings, **oidc_settings(settings, provider)) as (app, client):
            callback = complete_login(await start_sign_in(client), "anna")
            provider.stop()
            arrived = await client.get(callback.removeprefix(BASE_URL))
    assert arrived.status_code == 503 and "De inlogdienst van uw organisatie is op dit moment niet bereikbaar" in arrived.text
    assert session_cookie(client) is not None and "Anna" not in arrived.text
