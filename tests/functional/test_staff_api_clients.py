"""API clients managed by an administrator through the staff pages, proven against the real token endpoint and API."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from typing import Any

import httpx

from registry.services.sql import reading, writing
from registry.settings import Settings
from tests.functional.staff import add_staff, browser, csrf_of, sign_in, staff_app

CLAIM = {"programme_code": "P-1", "coach_registration_number": "C-1", "service_date": "2026-03-01"}
SECRET = re.compile(r'<code id="client-secret" class="secret">([^<]+)</code>')
CLIENT_ID = re.compile(r'<code id="client-id">([^<]+)</code>')


async def token_request(billing: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    """POST /oauth/token with HTTP Basic client authentication, as a billing system does."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return await billing.post("/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"})


async def verify(billing: httpx.AsyncClient, token: str) -> httpx.Response:
    return await billing.post("/api/v1/verifications", json=CLAIM, headers={"Authorization": f"Bearer {token}"})


async def register(admin: httpx.AsyncClient, name: str) -> tuple[str, str, httpx.Response]:
    """Register a client through the form; its id, its secret and the page that showed them."""
    page = await admin.get("/admin/api-clients")
    shown = await admin.post("/admin/api-clients", data={"csrf_token": csrf_of(page.text), "name": name})
    assert shown.status_code == 200, shown.text
    return CLIENT_ID.search(shown.text).group(1), SECRET.search(shown.text).group(1), shown


async def confirm(admin: httpx.AsyncClient, client_id: str, action: str) -> httpx.Response:
    """Open the confirmation page and say yes."""
    question = await admin.get(f"/admin/api-clients/{client_id}/{action}")
    assert question.status_code == 200
    return await admin.post(f"/admin/api-clients/{client_id}/{action}", data={"csrf_token": csrf_of(question.text), "bevestigd": "ja"})


async def audit_of(app: Any, client_id: str) -> list[dict[str, Any]]:
    async with reading(app.state.api.engine) as reader:
        return await reader.fetch_all("SELECT actor, actor_role, action FROM audit_event WHERE subject_code = ? ORDER BY id", client_id)


async def test_a_new_clients_secret_works_once_shown_and_never_again(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        client_id, secret, shown = await register(admin, "  Zorgverzekeraar Noord — declaratiecontrole ")
        assert "Kopieer het geheim nu" in shown.text and "https://registry.test/oauth/token" in shown.text
        billing = browser(app, "198.51.100.20")
        issued = await token_request(billing, client_id, secret)
        assert issued.status_code == 200 and issued.json()["scope"] == "verify"
        assert (await verify(billing, issued.json()["access_token"])).status_code == 200

        listed = await admin.get("/admin/api-clients")
        assert listed.status_code == 200 and listed.headers["cache-control"] == "no-store"
        assert client_id in listed.text and "Zorgverzekeraar Noord — declaratiecontrole" in listed.text and "actief" in listed.text
        assert secret not in listed.text
        for path in (f"/admin/api-clients/{client_id}/nieuw-geheim", f"/admin/api-clients/{client_id}/uitschakelen", "/admin/audit",
                     "/admin/audit.csv"):
            assert secret not in (await admin.get(path)).text
        async with reading(app.state.api.engine) as reader:
            stored = await reader.fetch_one("SELECT * FROM api_client WHERE client_id = ?", client_id)
        assert secret not in json.dumps(stored, default=str) and stored["last_used_at"] is not None
        assert await audit_of(app, client_id) == [{"actor": "user:admin", "actor_role": "admin", "action": "auth:api_client:create"}]


async def test_last_use_is_noted_at_most_once_a_minute(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        client_id, secret, _ = await register(admin, "Declaratiesoftware Zuid")
        assert "nooit" in (await admin.get("/admin/api-clients")).text

        async def last_used() -> dt.datetime | None:
            async with reading(app.state.api.engine) as reader:
                return (await reader.fetch_one("SELECT last_used_at FROM api_client WHERE client_id = ?", client_id))["last_used_at"]

        billing = browser(app, "198.51.100.21")
        assert (await token_request(billing, client_id, secret)).status_code == 200
        first = await last_used()
        assert first is not None and "nooit" not in (await admin.get("/admin/api-clients")).text
        assert (await token_request(billing, client_id, secret)).status_code == 200
        assert await last_used() == first
        async with writing(app.state.api.engine, serialise=False) as writer:
            await writer.execute("UPDATE api_client SET last_used_at = ? WHERE client_id = ?", first - dt.timedelta(minutes=2), client_id)
        assert (await token_request(billing, client_id, secret)).status_code == 200
        assert await last_used() > first


async def test_names_are_required_and_bounded(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        page = await admin.get("/admin/api-clients")
        for name in ("", "   ", "x" * 201):
            refused = await admin.post("/admin/api-clients", data={"csrf_token": csrf_of(page.text), "name": name})
            assert refused.status_code == 400 and 'id="name-error"' in refused.text
            assert "geef een naam van 1 tot 200 tekens" in refused.text and "client-secret" not in refused.text
        async with reading(app.state.api.engine) as reader:
            assert await reader.fetch_all("SELECT id FROM api_client") == []


async def test_a_new_secret_replaces_the_old_one_after_confirmation(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        client_id, old_secret, _ = await register(admin, "Verzekeraar Oost")
        question = await admin.get(f"/admin/api-clients/{client_id}/nieuw-geheim")
        assert "Ja, maak een nieuw geheim" in question.text
        unconfirmed = await admin.post(f"/admin/api-clients/{client_id}/nieuw-geheim", data={"csrf_token": csrf_of(question.text)})
        assert unconfirmed.status_code == 200 and "client-secret" not in unconfirmed.text
        billing = browser(app, "198.51.100.22")
        assert (await token_request(billing, client_id, old_secret)).status_code == 200

        rotated = await confirm(admin, client_id, "nieuw-geheim")
        assert rotated.status_code == 200 and "Het oude geheim werkt niet meer." in rotated.text
        new_secret = SECRET.search(rotated.text).group(1)
        assert new_secret != old_secret and CLIENT_ID.search(rotated.text).group(1) == client_id
        old = await token_request(billing, client_id, old_secret)
        assert old.status_code == 401 and old.json()["error"] == "invalid_client"
        new = await token_request(billing, client_id, new_secret)
        assert new.status_code == 200 and (await verify(billing, new.json()["access_token"])).status_code == 200
        assert new_secret not in (await admin.get("/admin/api-clients")).text
        assert [event["action"] for event in await audit_of(app, client_id)] == ["auth:api_client:create", "auth:api_client:rotate_secret"]


async def test_a_disabled_client_gets_no_token_and_its_token_is_refused(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        client_id, secret, _ = await register(admin, "Verzekeraar West")
        billing = browser(app, "198.51.100.23")
        token = (await token_request(billing, client_id, secret)).json()["access_token"]
        assert (await verify(billing, token)).status_code == 200

        done = await confirm(admin, client_id, "uitschakelen")
        assert done.status_code == 303 and done.headers["location"] == f"/admin/api-clients?uitgeschakeld={client_id}"
        listed = await admin.get(done.headers["location"])
        assert "Verzekeraar West is uitgeschakeld" in listed.text and "uitgeschakeld" in listed.text
        assert f"/admin/api-clients/{client_id}/uitschakelen" not in listed.text
        refused = await token_request(billing, client_id, secret)
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
        held = await verify(billing, token)
        assert held.status_code == 401 and "disabled" in held.json()["detail"]
        again = await admin.get(f"/admin/api-clients/{client_id}/nieuw-geheim")
        assert again.status_code == 409 and "Ja, maak een nieuw geheim" not in again.text
        assert [event["action"] for event in await audit_of(app, client_id)][-1] == "auth:api_client:disable"
        assert (await admin.get("/admin/api-clients/smr-0000000000000000/uitschakelen")).status_code == 404


async def test_only_administrators_may_and_only_with_the_forms_token(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        client_id, _, _ = await register(admin, "Verzekeraar Midden")
        for role in ("editor", "viewer"):
            other = browser(app, f"192.0.2.{60 + len(role)}")
            await sign_in(other, role)
            token = csrf_of((await other.get("/admin")).text)
            for method, path in (("GET", "/admin/api-clients"), ("POST", "/admin/api-clients"),
                                 ("GET", f"/admin/api-clients/{client_id}/nieuw-geheim"), ("POST", f"/admin/api-clients/{client_id}/nieuw-geheim"),
                                 ("GET", f"/admin/api-clients/{client_id}/uitschakelen"), ("POST", f"/admin/api-clients/{client_id}/uitschakelen")):
                data = {"csrf_token": token, "name": "Indringer", "bevestigd": "ja"} if method == "POST" else None
                answer = await other.request(method, path, data=data)
                assert answer.status_code == 403 and "Uw rol staat dit niet toe" in answer.text, (role, method, path)
            assert "/admin/api-clients" not in (await other.get("/admin")).text
        for path, data in (("/admin/api-clients", {"name": "Zonder token"}), (f"/admin/api-clients/{client_id}/uitschakelen", {"bevestigd": "ja"}),
                           (f"/admin/api-clients/{client_id}/nieuw-geheim", {"bevestigd": "ja"})):
            assert (await admin.post(path, data=data)).status_code == 403
        async with reading(app.state.api.engine) as reader:
            assert [row["active"] for row in await reader.fetch_all("SELECT active FROM api_client")] in ([True], [1])
        assert len(await audit_of(app, client_id)) == 1


async def test_the_list_counts_verifications_in_all_and_in_the_last_thirty_days(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        busy_id, busy_secret, _ = await register(admin, "Verzekeraar Druk")
        quiet_id, _, _ = await register(admin, "Verzekeraar Stil")
        billing = browser(app, "198.51.100.24")
        token = (await token_request(billing, busy_id, busy_secret)).json()["access_token"]
        for _ in range(3):
            assert (await verify(billing, token)).status_code == 200
        batch = await billing.post("/api/v1/verifications/batch", json={"items": [CLAIM, CLAIM]}, headers={"Authorization": f"Bearer {token}"})
        assert batch.status_code == 200, batch.text
        async with writing(app.state.api.engine, serialise=False) as writer:
            row = await writer.fetch_one("SELECT id FROM api_client WHERE client_id = ?", busy_id)
            await writer.insert_many("verification", [{
                "verification_id": str(uuid.uuid4()), "client": row["id"], "request": json.dumps(CLAIM), "result": "{}",
                "accredited": False, "data_version": 0,
                "checked_at": dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=45)}])
        listed = (await admin.get("/admin/api-clients")).text
        busy = re.search(r"<tr>\s*<th scope=\"row\">Verzekeraar Druk .*?</tr>", listed, re.S).group(0)
        quiet = re.search(r"<tr>\s*<th scope=\"row\">Verzekeraar Stil .*?</tr>", listed, re.S).group(0)
        assert re.findall(r'<td class="number">(\d+)</td>', busy) == ["6", "5"]
        assert re.findall(r'<td class="number">(\d+)</td>', quiet) == ["0", "0"] and quiet_id in quiet
        assert "Laatste 30 dagen" in listed
