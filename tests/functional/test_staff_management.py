"""Administrators manage staff accounts: local accounts, roles, disabling; each change audited and effective at once."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from registry.services.errors import ValidationFailed
from registry.services.sql import reading
from registry.services.staff import users
from registry.settings import Settings
from tests.functional.helpers import OPERATOR
from tests.functional.staff import PASSWORD, add_staff, browser, csrf_of, sign_in, staff_app

NEW_PASSWORD = "a long enough secret 42"


async def rows(app: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    async with reading(app.state.api.engine) as reader:
        return await reader.fetch_all(sql, *params)


async def user_id(app: Any, username: str) -> int:
    [row] = await rows(app, "SELECT id FROM staff_user WHERE username = ?", username)
    return row["id"]


async def post_form(client: httpx.AsyncClient, path: str, page: str, **fields: str) -> httpx.Response:
    """Open `page` for its CSRF token, then post the fields to `path`, as a browser does."""
    token = csrf_of((await client.get(page)).text)
    return await client.post(path, data={"csrf_token": token, **fields})


async def change(client: httpx.AsyncClient, member: int, role: str, active: str = "1") -> httpx.Response:
    page = f"/admin/medewerkers/{member}"
    return await post_form(client, page, page, role=role, active=active)


async def updates_of(app: Any, username: str) -> list[tuple[Any, Any, str]]:
    events = await rows(app, "SELECT before_state, after_state, actor FROM audit_event WHERE action = 'auth:staff_user:update' "
                             "AND subject_code = ? ORDER BY id", username)
    return [(json.loads(e["before_state"]), json.loads(e["after_state"]), e["actor"]) for e in events]


async def test_an_admin_adds_an_editor_who_can_then_sign_in_and_work(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        created = await post_form(admin, "/admin/medewerkers/nieuw", "/admin/medewerkers/nieuw", username="J.deVries",
                                  display_name="Jan de Vries", email="j.devries@example.nl", role="editor",
                                  password=NEW_PASSWORD, password_repeat=NEW_PASSWORD)
        member = await user_id(app, "j.devries")
        assert created.status_code == 303 and created.headers["location"] == f"/admin/medewerkers/{member}?gelukt=aangemaakt"
        page = await admin.get(created.headers["location"])
        assert "Jan de Vries" in page.text and "redacteur" in page.text and "Het account is aangemaakt" in page.text
        listing = await admin.get("/admin/medewerkers")
        assert listing.status_code == 200
        row = re.search(r"<tr>\s*<th scope=\"row\"><a href=\"/admin/medewerkers/%d\">j.devries</a>.*?</tr>" % member, listing.text, re.S).group(0)
        assert all(text in row for text in ("Jan de Vries", "j.devries@example.nl", "redacteur", "lokaal account", "actief", "nooit"))
        admin_row = re.search(r"<a href=\"/admin/medewerkers/\d+\">admin</a>.*?</tr>", listing.text, re.S).group(0)
        assert "nooit" not in admin_row  # the admin's own sign-in is shown

        jan = browser(app, "192.0.2.77")
        signed = await sign_in(jan, "j.devries", NEW_PASSWORD)
        # The administrator's password works once: Jan chooses his own first (tests/functional/test_staff_passwords.py).
        assert signed.status_code == 303 and signed.headers["location"] == "/admin/wachtwoord"
        form = await jan.get("/admin/wachtwoord")
        own = "Jan kiest zijn eigen wachtwoord"
        assert (await jan.post("/admin/wachtwoord", data={"csrf_token": csrf_of(form.text), "current_password": NEW_PASSWORD,
                                                          "new_password": own, "new_password_repeat": own})).status_code == 303
        assert (await jan.get("/admin")).status_code == 200
        assert (await jan.get("/admin/importeren")).status_code == 200  # an editor's page
        assert (await jan.get("/admin/medewerkers")).status_code == 403
        [event] = await rows(app, "SELECT * FROM audit_event WHERE action = 'auth:staff_user:create' AND subject_code = 'j.devries'")
        assert event["actor"] == "user:admin" and event["actor_role"] == "admin" and event["before_state"] is None
        assert json.loads(event["after_state"]) == {"username": "j.devries", "display_name": "Jan de Vries",
                                                    "email": "j.devries@example.nl", "role": "editor", "must_change_password": True}


async def test_a_new_account_with_mistakes_gets_every_error_in_dutch_and_nothing_is_written(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        refused = await post_form(admin, "/admin/medewerkers/nieuw", "/admin/medewerkers/nieuw", username="x", display_name="X",
                                  email="not-an-address", role="owner", password="short", password_repeat="shorter")
        assert refused.status_code == 400
        for message in ("gebruik 2-150 kleine letters", "moet minstens 12 tekens zijn", "moet een e-mailadres zijn",
                        "moet een van deze zijn", "is niet hetzelfde als het wachtwoord"):
            assert message in refused.text, message
        assert 'value="short"' not in refused.text and 'value="not-an-address"' in refused.text  # passwords are never sent back
        taken = await post_form(admin, "/admin/medewerkers/nieuw", "/admin/medewerkers/nieuw", username="editor", display_name="",
                                email="", role="viewer", password=NEW_PASSWORD, password_repeat=NEW_PASSWORD)
        assert taken.status_code == 400 and "editor bestaat al" in taken.text
        assert len(await rows(app, "SELECT id FROM staff_user")) == 3


async def test_a_role_change_ends_the_other_persons_sessions_and_applies_at_their_next_sign_in(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        editor = browser(app, "192.0.2.41")
        await sign_in(editor, "editor")
        assert (await editor.get("/admin/importeren")).status_code == 200
        member = await user_id(app, "editor")
        changed = await change(admin, member, "viewer")
        assert changed.status_code == 303 and changed.headers["location"] == f"/admin/medewerkers/{member}?gelukt=gewijzigd"
        away = await editor.get("/admin/importeren")
        assert away.status_code == 303 and away.headers["location"].startswith("/admin/inloggen")
        await sign_in(editor, "editor")
        assert "(raadpleger)" in (await editor.get("/admin")).text
        assert (await editor.get("/admin/importeren")).status_code == 403
        assert (await admin.get("/admin")).status_code == 200  # the admin's own session goes on
        unchanged = await change(admin, member, "viewer")
        assert unchanged.headers["location"].endswith("gelukt=ongewijzigd")
        assert await updates_of(app, "editor") == [({"role": "editor"}, {"role": "viewer"}, "user:admin")]


async def test_a_disabled_account_cannot_sign_in_until_enabled_again(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        viewer = browser(app, "192.0.2.42")
        await sign_in(viewer, "viewer")
        member = await user_id(app, "viewer")
        assert (await change(admin, member, "viewer", active="0")).status_code == 303
        assert (await viewer.get("/admin")).status_code == 303
        refused = await sign_in(viewer, "viewer")
        assert refused.status_code == 400 and "De gebruikersnaam of het wachtwoord klopt niet." in refused.text
        assert "uitgeschakeld" in (await admin.get("/admin/medewerkers")).text
        assert (await change(admin, member, "viewer", active="1")).status_code == 303
        assert (await sign_in(viewer, "viewer")).status_code == 303
        assert await updates_of(app, "viewer") == [({"active": True}, {"active": False}, "user:admin"),
                                                   ({"active": False}, {"active": True}, "user:admin")]


async def test_an_admin_cannot_demote_or_disable_their_own_account(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        own = await user_id(app, "admin")
        page = await admin.get(f"/admin/medewerkers/{own}")
        assert "Dit is uw eigen account" in page.text and f'action="/admin/medewerkers/{own}"' not in page.text
        demoted = await change(admin, own, "editor")
        assert demoted.status_code == 400 and "u kunt de rol van uw eigen account niet wijzigen" in demoted.text
        disabled = await change(admin, own, "admin", active="0")
        assert disabled.status_code == 400 and "u kunt uw eigen account niet uitschakelen" in disabled.text
        assert (await admin.get("/admin/medewerkers")).status_code == 200
        assert [row["role"] for row in await rows(app, "SELECT role FROM staff_user WHERE id = ?", own)] == ["admin"]
        assert await updates_of(app, "admin") == []


async def test_the_last_active_administrator_is_kept(settings: Settings) -> None:
    async with staff_app(settings) as (app, _client):
        await add_staff(app)
        engine = app.state.api.engine
        only = await user_id(app, "admin")
        with pytest.raises(ValidationFailed) as refused:
            await users.change_account(engine, OPERATOR, only, "admin", False, own_id=None)
        assert refused.value.errors[0].field == "active" and "at least one active administrator" in refused.value.errors[0].message
        second = await users.create_user(engine, OPERATOR, "admin2", PASSWORD, "admin")
        assert await users.change_account(engine, OPERATOR, only, "editor", True, own_id=second) == {"role": "editor"}


async def test_an_oidc_accounts_role_is_an_admins_assignment_until_a_mapped_role_arrives(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        engine = app.state.api.engine
        claims = {"email": "k.bakker@example.nl", "name": "Kim Bakker"}
        member = await users.oidc_staff_member(engine, "https://idp.test|kim", claims, "viewer", "192.0.2.9")
        await sign_in(admin, "admin")
        assert "OpenID Connect" in (await admin.get("/admin/medewerkers")).text
        assert (await change(admin, member["id"], "editor")).status_code == 303
        kept = await users.oidc_staff_member(engine, "https://idp.test|kim", claims, None, "192.0.2.9")
        assert kept["role"] == "editor"


async def test_only_administrators_reach_the_staff_pages_and_forms_need_the_token(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        member = await user_id(app, "viewer")
        for role in ("viewer", "editor"):
            other = browser(app, "192.0.2.43")
            await sign_in(other, role)
            for path in ("/admin/medewerkers", "/admin/medewerkers/nieuw", f"/admin/medewerkers/{member}"):
                assert (await other.get(path)).status_code == 403, (role, path)
            token = csrf_of((await other.get("/admin")).text)
            assert (await other.post(f"/admin/medewerkers/{member}", data={"csrf_token": token, "role": "admin", "active": "1"})).status_code == 403
            assert (await other.post("/admin/medewerkers/nieuw", data={"csrf_token": token, "username": role + "x", "role": "admin",
                                                                       "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})).status_code == 403
        await sign_in(admin, "admin")
        missing = await admin.post(f"/admin/medewerkers/{member}", data={"role": "admin", "active": "1"})
        assert missing.status_code == 403 and "Formulier verlopen" in missing.text
        assert (await admin.post("/admin/medewerkers/nieuw", data={"username": "sneaky", "role": "admin", "password": NEW_PASSWORD,
                                                                   "password_repeat": NEW_PASSWORD})).status_code == 403
        assert [row["role"] for row in await rows(app, "SELECT role FROM staff_user WHERE id = ?", member)] == ["viewer"]
        assert len(await rows(app, "SELECT id FROM staff_user")) == 3
        assert (await admin.get("/admin/medewerkers/999")).status_code == 404


async def test_a_long_username_such_as_an_email_address_is_stored_and_audited(engine: Any) -> None:
    username = "a.very.long.name.of.a.staff.member@afdeling-accreditatie.stichting-smr-zorg.example"
    await users.create_user(engine, OPERATOR, username, PASSWORD, "viewer")
    async with reading(engine) as reader:
        event = await reader.fetch_one("SELECT subject_code FROM audit_event WHERE action = 'auth:staff_user:create'")
    assert event["subject_code"] == username
