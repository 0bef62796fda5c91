"""Staff passwords: an administrator's password for a new account works once; every staff member sets their own."""

from __future__ import annotations

from registry.services.sql import reading
from registry.settings import Settings
from tests.functional.staff import PASSWORD, add_staff, browser, csrf_of, sign_in, staff_app

ONE_TIME = "chosen by the administrator"
OWN = "only Lotte knows this one"


async def test_a_one_time_password_must_be_replaced_before_anything_else(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        form = await admin.get("/admin/medewerkers/nieuw")
        assert "Eenmalig wachtwoord" in form.text
        created = await admin.post("/admin/medewerkers/nieuw", data={
            "csrf_token": csrf_of(form.text), "username": "lotte", "display_name": "Lotte de Wit", "email": "", "role": "editor",
            "password": ONE_TIME, "password_repeat": ONE_TIME})
        assert created.status_code == 303

        lotte = browser(app, "192.0.2.40")
        signed = await sign_in(lotte, "lotte", ONE_TIME)
        assert signed.status_code == 303 and signed.headers["location"] == "/admin/wachtwoord"
        for path in ("/admin", "/admin/coaches", "/admin/voorstellen"):
            elsewhere = await lotte.get(path)
            assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/admin/wachtwoord", path
        page = await lotte.get("/admin/wachtwoord")
        assert page.status_code == 200 and "eenmalig wachtwoord" in page.text

        wrong = await lotte.post("/admin/wachtwoord", data={"csrf_token": csrf_of(page.text), "current_password": "not it",
                                                             "new_password": ONE_TIME, "new_password_repeat": "something else"})
        assert wrong.status_code == 400 and "<title>Fout: " in wrong.text
        assert "is niet uw huidige wachtwoord" in wrong.text and "is niet hetzelfde als het nieuwe wachtwoord" in wrong.text
        assert ONE_TIME not in wrong.text  # passwords are never sent back into the page
        done = await lotte.post("/admin/wachtwoord", data={"csrf_token": csrf_of(page.text), "current_password": ONE_TIME,
                                                            "new_password": OWN, "new_password_repeat": OWN})
        assert done.status_code == 303
        assert (await lotte.get("/admin")).status_code == 200

        assert (await sign_in(browser(app, "192.0.2.41"), "lotte", ONE_TIME)).status_code == 400
        assert (await sign_in(browser(app, "192.0.2.42"), "lotte", OWN)).headers["location"] == "/admin"
        async with reading(app.state.api.engine) as reader:
            events = await reader.fetch_all("SELECT actor, after_state FROM audit_event WHERE action = 'auth:staff_user:update' "
                                            "AND subject_code = 'lotte'")
        assert [event["actor"] for event in events] == ["user:lotte"] and "password" in str(events[0]["after_state"])


async def test_staff_change_their_own_password(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        other = browser(app, "192.0.2.43")
        await sign_in(other, "editor")
        page = await editor.get("/admin/wachtwoord")
        assert 'href="/admin/wachtwoord"' in (await editor.get("/admin")).text
        same = await editor.post("/admin/wachtwoord", data={"csrf_token": csrf_of(page.text), "current_password": PASSWORD,
                                                             "new_password": PASSWORD, "new_password_repeat": PASSWORD})
        assert same.status_code == 400 and "moet anders zijn dan het huidige wachtwoord" in same.text
        changed = await editor.post("/admin/wachtwoord", data={"csrf_token": csrf_of(page.text), "current_password": PASSWORD,
                                                                "new_password": OWN, "new_password_repeat": OWN})
        assert changed.status_code == 303 and "opgeslagen" in (await editor.get(changed.headers["location"])).text
        assert (await other.get("/admin")).status_code == 303  # the editor's other session was signed out
