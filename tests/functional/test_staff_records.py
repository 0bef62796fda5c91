"""Staff records through HTTP: create, view (private fields too), edit, refuse bad input in Dutch, never lose an update."""

from __future__ import annotations

import asyncio
import csv
import io
import re

import httpx

from registry.services.sql import reading
from registry.settings import Settings
from tests.functional.staff import add_staff, browser, csrf_of, sign_in, staff_app

ORGANISATION = {"name": "Rookvrij Utrecht", "kvk_number": "12345678", "agb_codes": "", "city": "Utrecht"}
COACH = {"initials": "J.", "prefix": "de", "surname": "Vries", "agb_code": "87654321", "big_number": "19012345601",
         "email": "j.devries@example.nl", "phone": "06-12345678", "city": "Zeist", "internal_note": "Belt liever niet op vrijdag."}


async def post_form(client: httpx.AsyncClient, page_path: str, action: str, data: dict) -> httpx.Response:
    """Open the page with the form, then post it with the page's CSRF token, as a browser does (lists: repeated fields)."""
    page = await client.get(page_path)
    assert page.status_code == 200, page.text
    return await client.post(action, data={"csrf_token": csrf_of(page.text), **data})


async def create(client: httpx.AsyncClient, slug: str, data: dict) -> str:
    """Create a record through its form; the code the registry gave it."""
    created = await post_form(client, f"/admin/{slug}/nieuw", f"/admin/{slug}/nieuw", data)
    assert created.status_code == 303, created.text
    return re.match(rf"/admin/{slug}/([A-Z0-9-]+)\?gelukt=opgeslagen", created.headers["location"]).group(1)


def version_on(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


async def test_an_editor_creates_and_changes_a_coach_and_the_public_sees_only_public_fields(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        code = await create(editor, "coaches", COACH)
        assert code == "C-000001"
        page = await editor.get(f"/admin/coaches/{code}")
        assert page.status_code == 200
        for private in ("j.devries@example.nl", "19012345601", "06-12345678", "Belt liever niet op vrijdag."):
            assert private in page.text  # staff see every field
        assert "J. de Vries" in page.text and "niet openbaar" in page.text
        public = await browser(app).get(f"/coaches/{code}")
        assert public.status_code == 200 and "Vries" in public.text
        assert not any(private in public.text for private in ("j.devries@example.nl", "19012345601", "06-12345678", "vrijdag"))

        form = await editor.get(f"/admin/coaches/{code}/wijzigen")
        assert 'value="Zeist"' in form.text and version_on(form.text) == "1"
        changed = await editor.post(f"/admin/coaches/{code}/wijzigen", data={
            "csrf_token": csrf_of(form.text), "version": "1", **COACH, "city": "Utrecht", "phone": ""})
        assert changed.status_code == 303
        page = await editor.get(f"/admin/coaches/{code}")
        assert "Utrecht" in page.text and "06-12345678" not in page.text  # an emptied field is cleared
        async with reading(app.state.api.engine) as reader:
            event = await reader.fetch_one("SELECT * FROM audit_event WHERE action = 'registry:coach:update'")
        assert event["actor"] == "user:editor" and event["actor_role"] == "editor" and "Zeist" in event["before_state"]


async def test_bad_input_gets_dutch_messages_per_field_and_writes_nothing(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        refused = await post_form(editor, "/admin/coaches/nieuw", "/admin/coaches/nieuw",
                                  {**COACH, "surname": "", "agb_code": "1234", "email": "geen-adres"})
        assert refused.status_code == 400
        assert 'id="surname-error"' in refused.text and "mag niet leeg zijn" in refused.text
        assert 'id="agb_code-error"' in refused.text and "moet precies 8 cijfers zijn" in refused.text
        assert 'id="email-error"' in refused.text and "moet een e-mailadres zijn" in refused.text
        assert 'aria-invalid="true"' in refused.text and 'value="geen-adres"' in refused.text  # what was typed stays
        await create(editor, "coaches", COACH)
        taken = await post_form(editor, "/admin/coaches/nieuw", "/admin/coaches/nieuw", {**COACH, "surname": "Jansen"})
        assert taken.status_code == 400 and "AGB-code 87654321 hoort al bij coach C-000001" in taken.text
        programme = await post_form(editor, "/admin/programmas/nieuw", "/admin/programmas/nieuw",
                                    {"name": "Stoppen", "organisation": "O-999999", "guidance_type": "intensive", "format": "group",
                                     "sessions": "acht"})
        assert programme.status_code == 400
        assert "geen organisatie met code O-999999" in programme.text and "moet een heel getal zijn" in programme.text
        async with reading(app.state.api.engine) as reader:
            counts = await reader.fetch_one("SELECT (SELECT COUNT(*) FROM coach) AS coaches, (SELECT COUNT(*) FROM programme) AS programmes")
        assert counts == {"coaches": 1, "programmes": 0}


async def test_two_staff_editing_the_same_record_lose_no_update(settings: Settings) -> None:
    async with staff_app(settings) as (app, first):
        await add_staff(app)
        second = browser(app, "192.0.2.99")
        await sign_in(first, "editor")
        await sign_in(second, "admin")
        code = await create(first, "organisaties", ORGANISATION)
        form_one = await first.get(f"/admin/organisaties/{code}/wijzigen")
        form_two = await second.get(f"/admin/organisaties/{code}/wijzigen")
        saved = await first.post(f"/admin/organisaties/{code}/wijzigen", data={
            "csrf_token": csrf_of(form_one.text), "version": version_on(form_one.text), **ORGANISATION, "name": "Rookvrij Utrecht-Noord"})
        assert saved.status_code == 303
        conflict = await second.post(f"/admin/organisaties/{code}/wijzigen", data={
            "csrf_token": csrf_of(form_two.text), "version": version_on(form_two.text), **ORGANISATION, "city": "Amersfoort"})
        assert conflict.status_code == 409
        assert "Iemand anders heeft dit gegeven gewijzigd" in conflict.text
        assert "Rookvrij Utrecht-Noord" in conflict.text and 'value="Amersfoort"' in conflict.text  # both kept in view
        page = await second.get(f"/admin/organisaties/{code}")
        assert "Rookvrij Utrecht-Noord" in page.text and "Amersfoort" not in page.text
        # Saving again from the conflict page (it carries the new version) keeps both changes.
        again = await second.post(f"/admin/organisaties/{code}/wijzigen", data={
            "csrf_token": csrf_of(conflict.text), "version": version_on(conflict.text), **ORGANISATION,
            "name": "Rookvrij Utrecht-Noord", "city": "Amersfoort"})
        assert again.status_code == 303
        page = await second.get(f"/admin/organisaties/{code}")
        assert "Rookvrij Utrecht-Noord" in page.text and "Amersfoort" in page.text


async def test_concurrent_saves_of_one_version_let_exactly_one_through(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        code = await create(editor, "organisaties", ORGANISATION)
        form = await editor.get(f"/admin/organisaties/{code}/wijzigen")
        token = csrf_of(form.text)

        async def save(city: str) -> int:
            response = await editor.post(f"/admin/organisaties/{code}/wijzigen", data={
                "csrf_token": token, "version": "1", **ORGANISATION, "city": city})
            return response.status_code

        statuses = await asyncio.gather(*(save(f"Plaats {number}") for number in range(8)))
        assert sorted(statuses) == [303] + [409] * 7
        async with reading(app.state.api.engine) as reader:
            row = await reader.fetch_one("SELECT city, version FROM organisation WHERE code = ?", code)
            updates = await reader.fetch_all("SELECT after_state FROM audit_event WHERE action = 'registry:organisation:update'")
        assert row["version"] == 2 and len(updates) == 1 and row["city"] in updates[0]["after_state"]


async def test_lists_search_filter_sort_page_and_export_csv(settings: Settings) -> None:
    async with staff_app(settings) as (app, viewer):
        await add_staff(app)
        editor = browser(app, "192.0.2.77")
        await sign_in(editor, "editor")
        await sign_in(viewer, "viewer")
        for number in range(23):
            await create(editor, "organisaties", {"name": f"Organisatie {number:02d}", "city": "Utrecht" if number % 2 else "Zwolle"})
        await create(editor, "organisaties", {"name": "=HYPERLINK(\"http://x\")", "city": "Delft"})
        first = await viewer.get("/admin/organisaties")
        assert first.status_code == 200 and "24 resultaten" in first.text and "Organisatie 00" in first.text
        assert "Organisatie 22" not in first.text and 'rel="next"' in first.text
        assert "Organisatie 22" in (await viewer.get("/admin/organisaties?page=2")).text
        zwolle = await viewer.get("/admin/organisaties?q=zwolle&sorteer=code")
        assert "12 resultaten" in zwolle.text and "Organisatie 01" not in zwolle.text
        assert (await viewer.get("/admin/organisaties?sorteer=zomaar")).status_code == 400
        assert "Toevoegen" not in first.text  # a viewer cannot add
        exported = await viewer.get("/admin/organisaties/export.csv?q=utrecht")
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert rows[0][:2] == ["code", "name"] and len(rows) == 1 + 11
        everything = list(csv.reader(io.StringIO((await viewer.get("/admin/organisaties/export.csv")).content.decode("utf-8-sig"))))
        assert ["'=HYPERLINK(\"http://x\")"] == [row[1] for row in everything if "HYPERLINK" in row[1]]


async def test_staff_give_an_organisation_several_agb_codes_each_held_by_one_organisation(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        code = await create(editor, "organisaties", {**ORGANISATION, "agb_codes": "12345678\n12345679, 12345680"})
        page = await editor.get(f"/admin/organisaties/{code}")
        assert "12345678, 12345679, 12345680" in page.text
        form = await editor.get(f"/admin/organisaties/{code}/wijzigen")
        assert "12345678\n12345679\n12345680" in form.text
        changed = await editor.post(f"/admin/organisaties/{code}/wijzigen", data={
            "csrf_token": csrf_of(form.text), "version": version_on(form.text), **ORGANISATION, "agb_codes": "12345679"})
        assert changed.status_code == 303
        public = await browser(app).get(f"/api/v1/organisations/{code}")
        assert public.json()["agb_codes"] == ["12345679"] and public.json()["agb_code"] == "12345679"
        refused = await post_form(editor, "/admin/organisaties/nieuw", "/admin/organisaties/nieuw",
                                  {**ORGANISATION, "name": "Andere praktijk", "kvk_number": "87654321", "agb_codes": "12345679"})
        assert refused.status_code == 400 and 'id="agb_codes-error"' in refused.text
        assert f"AGB-code 12345679 hoort al bij organisatie {code}" in refused.text
        bad = await post_form(editor, "/admin/organisaties/nieuw", "/admin/organisaties/nieuw",
                              {**ORGANISATION, "name": "Derde praktijk", "kvk_number": "11223344", "agb_codes": "1234"})
        assert bad.status_code == 400 and "AGB-codes" in bad.text and 'id="agb_codes-error"' in bad.text
