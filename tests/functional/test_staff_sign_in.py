"""Staff sign-in with local accounts: sessions, rotation, CSRF, sign-out, timeouts, rate limit, roles on every route."""

from __future__ import annotations

import asyncio
import re

import pytest

from registry.auth.sessions import COOKIE
from registry.roles import Role, allows
from registry.services.sql import writing
from registry.settings import Settings
from tests.functional.helpers import fresh_rate_window
from tests.functional.staff import PASSWORD, ROLES, add_staff, browser, csrf_of, session_cookie, sign_in, staff_app

PUBLIC_ADMIN_ROUTES = {"/admin/inloggen", "/admin/inloggen/oidc", "/admin/oidc/callback", "/admin/uitloggen", "/admin/uitnodiging/{token:str}"}


async def test_sign_in_gives_a_new_session_id_and_the_planted_one_is_worthless(settings: Settings) -> None:
    async with staff_app(settings) as (app, client):
        await add_staff(app)
        away = await client.get("/admin")
        assert away.status_code == 303 and away.headers["location"] == "/admin/inloggen?terug=%2Fadmin"
        client.cookies.set(COOKIE, "planted-by-an-attacker", domain="registry.test")
        page = await client.get("/admin/inloggen")
        cookie = page.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=") and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Path=/" in cookie and "Domain" not in cookie  # what a __Host- cookie requires
        before = session_cookie(client)
        assert before != "planted-by-an-attacker"
        signed_in = await client.post("/admin/inloggen", data={"csrf_token": csrf_of(page.text), "username": "Editor",
                                                               "password": PASSWORD, "return_to": "/admin"})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/admin"
        after = session_cookie(client)
        assert after not in (before, "planted-by-an-attacker")
        dashboard = await client.get("/admin")
        assert dashboard.status_code == 200 and "Editor Tester" in dashboard.text and dashboard.headers["cache-control"] == "no-store"
        attacker = browser(app, "198.51.100.9")
        attacker.cookies.set(COOKIE, before, domain="registry.test")
        assert (await attacker.get("/admin")).status_code == 303


async def test_wrong_passwords_unknown_users_and_too_many_attempts(settings: Settings) -> None:
    async with staff_app(settings, login_rate_limit_per_minute=5) as (app, client):
        await add_staff(app)
        # After the accounts are made (three argon2 hashes, slow on a busy machine): six sign-ins must share one window.
        await fresh_rate_window(needed_seconds=20)
        for username, password in (("editor", "wrong password!"), ("nobody", PASSWORD), ("", "")):
            refused = await sign_in(client, username, password)
            assert refused.status_code == 400 and "De gebruikersnaam of het wachtwoord klopt niet." in refused.text
        assert (await client.get("/admin")).status_code == 303
        await sign_in(client, "editor", "still wrong")
        await sign_in(client, "editor", "still wrong")
        limited = await sign_in(client, "editor")  # the right password, but over the limit
        assert limited.status_code == 429 and limited.headers["retry-after"]
        assert (await client.get("/admin")).status_code == 303


async def test_forms_without_the_sessions_csrf_token_are_refused(settings: Settings) -> None:
    async with staff_app(settings) as (app, client):
        await add_staff(app)
        await client.get("/admin/inloggen")
        missing = await client.post("/admin/inloggen", data={"username": "admin", "password": PASSWORD})
        assert missing.status_code == 403 and "Formulier verlopen" in missing.text
        other = browser(app, "198.51.100.7")
        foreign_token = csrf_of((await other.get("/admin/inloggen")).text)
        assert (await client.post("/admin/inloggen", data={"csrf_token": foreign_token, "username": "admin", "password": PASSWORD})).status_code == 403
        assert (await sign_in(client, "admin")).status_code == 303
        dashboard = await client.get("/admin")
        cross_site = await client.post("/admin/uitloggen", data={"csrf_token": csrf_of(dashboard.text)}, headers={"Origin": "https://evil.example"})
        assert cross_site.status_code == 403
        assert (await client.post("/admin/uitloggen", data={})).status_code == 403
        assert (await client.get("/admin")).status_code == 200  # still signed in


async def test_sign_out_ends_the_session_on_the_server(settings: Settings) -> None:
    async with staff_app(settings) as (app, client):
        await add_staff(app)
        await sign_in(client, "viewer")
        held = session_cookie(client)
        dashboard = await client.get("/admin")
        out = await client.post("/admin/uitloggen", data={"csrf_token": csrf_of(dashboard.text)})
        assert out.status_code == 303 and out.headers["location"] == "/admin/inloggen?uitgelogd=1"
        assert "U bent uitgelogd." in (await client.get(out.headers["location"])).text
        replay = browser(app)
        replay.cookies.set(COOKIE, held, domain="registry.test")
        assert (await replay.get("/admin")).status_code == 303


async def test_idle_sessions_end(settings: Settings) -> None:
    async with staff_app(settings, session_idle_seconds=1) as (app, client):
        await add_staff(app)
        await sign_in(client, "viewer")
        assert (await client.get("/admin")).status_code == 200
        await asyncio.sleep(2.1)
        assert (await client.get("/admin")).status_code == 303


async def test_a_disabled_account_is_signed_out_at_once(settings: Settings) -> None:
    async with staff_app(settings) as (app, client):
        await add_staff(app)
        await sign_in(client, "editor")
        assert (await client.get("/admin")).status_code == 200
        async with writing(app.state.api.engine, serialise=False) as writer:
            await writer.execute("UPDATE staff_user SET active = ? WHERE username = ?", False, "editor")
        assert (await client.get("/admin")).status_code == 303


def admin_routes(app) -> list[tuple[str, str, object]]:
    """(method, path, permission or None) of every staff route."""
    found = []
    for route in app.routes:
        if not route.path.startswith("/admin"):
            continue
        for handler in getattr(route, "route_handlers", []):
            permissions = [guard.permission for guard in handler.guards or [] if hasattr(guard, "permission")]
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                found.append((method, route.path, permissions[0] if permissions else None))
    return found


async def test_every_staff_route_checks_the_role_on_the_server(settings: Settings) -> None:
    async with staff_app(settings) as (app, anonymous):
        await add_staff(app)
        routes = admin_routes(app)
        assert len(routes) >= 6
        unguarded = [(method, path) for method, path, permission in routes if permission is None and path not in PUBLIC_ADMIN_ROUTES]
        assert not unguarded, "every staff route needs a permission guard"
        clients = {"anonymous": anonymous}
        for role in ROLES:
            clients[role] = browser(app, f"192.0.2.{30 + ROLES.index(role)}")
            await sign_in(clients[role], role)
        for method, path, permission in routes:
            if permission is None:
                continue
            concrete = re.sub(r"\{[a-z_]+:(str|int|path)\}", lambda match: "1" if match.group(1) == "int" else "P-000001", path)
            for who, client in clients.items():
                data = {}
                if method == "POST" and who != "anonymous":
                    data = {"csrf_token": csrf_of((await client.get("/admin")).text)}
                response = await client.request(method, concrete, data=data if method == "POST" else None)
                if who == "anonymous":
                    assert response.status_code == 303 and response.headers["location"].startswith("/admin/inloggen"), (method, path, who)
                elif allows(who, permission):
                    # 400: a form posted empty gets its field errors; 404: no record with the sample code.
                    assert response.status_code < 400 or response.status_code in (400, 404, 409, 422), (method, path, who, response.status_code)
                else:
                    assert response.status_code == 403 and "Uw rol staat dit niet toe" in response.text, (method, path, who)


@pytest.mark.parametrize("role", list(Role))
def test_roles_hold_only_their_rights(role: Role) -> None:
    from registry.roles import Permission

    expected = {
        Role.VIEWER: {Permission.REGISTRY_READ, Permission.AUDIT_READ},
        Role.EDITOR: {Permission.REGISTRY_READ, Permission.AUDIT_READ, Permission.RECORDS_WRITE, Permission.DECISIONS_RECORD,
                      Permission.IMPORT_APPLY},
        Role.ADMIN: set(Permission),
    }[role]
    assert {permission for permission in Permission if allows(role, permission)} == expected
    assert not any(allows(None, permission) for permission in Permission)
