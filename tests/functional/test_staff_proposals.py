"""Four eyes: a suspension, revocation, withdrawal or care-standard override waits for a second staff member; public explanations
and internal notes."""

from __future__ import annotations

import re

import httpx

from registry.services.imports.plan import import_document
from registry.services.sql import reading
from registry.settings import Settings
from tests.functional.helpers import BASE_DOCUMENT, OPERATOR, document, encode, open_transition
from tests.functional.staff import add_staff, browser, csrf_of, sign_in, staff_app
from tests.functional.test_staff_decisions import decide

NOTE = "Melding van cliënt, dossier 2026-17: nog niet openbaar maken"


async def verify(app: object, headers: dict[str, str]) -> dict:
    """The verification API's answer for the known coach and programme on 1 December 2026."""
    client = browser(app, "198.51.100.60")
    claim = {"programme_code": "P-000045", "coach_registration_number": "C-000123", "service_date": "2026-12-01"}
    response = await client.post("/api/v1/verifications", json=claim, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def bearer(app: object) -> dict[str, str]:
    """Authorization headers of a new billing client."""
    from tests.functional.api_client import ApiSession

    client = browser(app, "198.51.100.61")
    return await ApiSession(client, app.state.api).bearer()


async def proposal_number(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/admin/voorstellen/(\d+)\?gelukt=voorgesteld", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


async def press(client: httpx.AsyncClient, number: int, action: str, **fields: str) -> httpx.Response:
    page = await client.get(f"/admin/voorstellen/{number}")
    return await client.post(f"/admin/voorstellen/{number}/{action}", data={"csrf_token": csrf_of(page.text), **fields})


async def test_a_suspension_counts_only_once_a_second_editor_approves_it(settings: Settings) -> None:
    async with staff_app(settings) as (app, first):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(document()), OPERATOR)
        await app.state.api.index.catch_up()
        headers = await bearer(app)
        assert (await verify(app, headers))["accredited"] is True
        await sign_in(first, "editor")
        # A second editor, and an admin.
        second = browser(app, "192.0.2.21")
        from registry.services.staff.users import create_user
        from tests.functional.staff import PASSWORD
        await create_user(app.state.api.engine, OPERATOR, "editor2", PASSWORD, "editor", display_name="Tweede Redacteur")
        await sign_in(second, "editor2")

        form = await first.get("/admin/coaches/C-000123")
        assert "Schorsing voorstellen" in form.text and "verschijnt op de openbare pagina" in form.text.lower()
        proposed = await decide(first, "coaches", "C-000123", "suspend", **{"from": "01-11-2026"}, reference="SKZ-2026-0300",
                                reason="Onderzoek naar een klacht.", internal_note=NOTE)
        number = await proposal_number(proposed)
        waiting = await first.get(f"/admin/voorstellen/{number}")
        assert "Wacht op goedkeuring" in waiting.text and NOTE in waiting.text
        assert "Voorstel goedkeuren" not in waiting.text and "zelf voorgesteld" in waiting.text

        # Nothing changed for billing systems or the public while it waits.
        await app.state.api.index.catch_up()
        assert (await verify(app, headers))["accredited"] is True
        public = await browser(app, "198.51.100.62").get("/api/v1/coaches/C-000123")
        assert public.json()["status"] == "accredited" and "SKZ-2026-0300" not in public.text

        # The proposer cannot approve their own proposal, not even by posting the form.
        own = await press(first, number, "goedkeuren")
        assert own.status_code == 409 and "zelf voorgesteld" in own.text
        # A second proposal under the same reference is refused while the first waits.
        again = await decide(first, "coaches", "C-000123", "suspend", **{"from": "02-11-2026"}, reference="SKZ-2026-0300")
        assert again.status_code == 400 and "wacht al op goedkeuring" in again.text

        assert "Tweede Redacteur" not in waiting.text
        listed = await second.get("/admin/voorstellen")
        assert f"/admin/voorstellen/{number}" in listed.text
        approved = await press(second, number, "goedkeuren")
        assert approved.status_code == 303
        assert approved.headers["location"] == "/admin/coaches/C-000123?gelukt=suspend&besluit=SKZ-2026-0300"
        banner = await second.get(approved.headers["location"])
        assert "Schorsing SKZ-2026-0300 vastgelegd" in banner.text and "notice-success" in banner.text

        await app.state.api.index.catch_up()
        answer = await verify(app, headers)
        assert answer["accredited"] is False and answer["reasons"][0]["code"] == "COACH_SUSPENDED"
        # Approving twice records nothing more.
        assert (await press(second, number, "goedkeuren")).status_code == 409

        async with reading(app.state.api.engine) as reader:
            decision = await reader.fetch_one("SELECT * FROM decision WHERE reference = 'SKZ-2026-0300'")
            proposal = await reader.fetch_one("SELECT * FROM decision_proposal WHERE id = ?", number)
            events = await reader.fetch_all("SELECT actor, action, after_state FROM audit_event WHERE action LIKE 'registry:proposal:%' "
                                            "OR (action = 'registry:decision:record' AND actor = 'user:editor2') ORDER BY id")
        assert decision["recorded_by"] == "user:editor2" and decision["proposed_by"] == "user:editor"
        assert decision["recorded_at"] == proposal["decided_at"] and decision["recorded_at"] > proposal["proposed_at"]
        assert decision["internal_note"] == NOTE and decision["reason_public"]
        assert [(e["actor"], e["action"]) for e in events] == [("user:editor", "registry:proposal:create"),
                                                              ("user:editor2", "registry:decision:record"),
                                                              ("user:editor2", "registry:proposal:approve")]
        assert '"proposed_by":"user:editor"' in events[1]["after_state"].replace(" ", "") if isinstance(events[1]["after_state"], str) \
            else events[1]["after_state"]["proposed_by"] == "user:editor"


async def test_a_rejected_proposal_needs_a_reason_and_records_nothing(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(document()), OPERATOR)
        await sign_in(editor, "editor")
        admin = browser(app, "192.0.2.22")
        await sign_in(admin, "admin")
        number = await proposal_number(await decide(editor, "coaches", "C-000123", "revoke", effective="01-12-2026", reference="SKZ-2026-0400",
                                                    reason="Ernstig verwijtbaar"))
        empty = await press(admin, number, "afwijzen", rejection_reason="  ")
        assert empty.status_code == 400 and "Fout" in empty.text and "Reden van afwijzing" in empty.text
        rejected = await press(admin, number, "afwijzen", rejection_reason="Eerst hoor en wederhoor.")
        assert rejected.status_code == 303
        shown = await admin.get(f"/admin/voorstellen/{number}")
        assert "Afgewezen door Admin Tester" in shown.text and "Eerst hoor en wederhoor." in shown.text
        assert (await press(admin, number, "goedkeuren")).status_code == 409
        viewer = browser(app, "192.0.2.23")
        await sign_in(viewer, "viewer")
        assert (await viewer.get(f"/admin/voorstellen/{number}")).status_code == 200
        async with reading(app.state.api.engine) as reader:
            assert await reader.fetch_one("SELECT id FROM decision WHERE reference = 'SKZ-2026-0400'") is None


async def test_a_care_standard_override_waits_for_a_second_admin(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await open_transition(app.state.api.engine)
        await import_document(app.state.api.engine, encode(document(programmes=[*BASE_DOCUMENT["programmes"], {
            "code": "P-000046", "name": "Kort Traject", "organisation": "O-000012", "guidance_type": "intensive", "format": "group",
            "sessions": 2, "contact_minutes": 60}])), OPERATOR)
        await sign_in(admin, "admin")
        from registry.services.staff.users import create_user
        from tests.functional.staff import PASSWORD
        await create_user(app.state.api.engine, OPERATOR, "admin2", PASSWORD, "admin", display_name="Tweede Beheerder")
        editor, second = browser(app, "192.0.2.24"), browser(app, "192.0.2.25")
        await sign_in(editor, "editor")
        await sign_in(second, "admin2")
        number = await proposal_number(await decide(admin, "programmas", "P-000046", "grant", valid_from="01-06-2026",
                                                    reference="SKZ-2026-0500", override_reason="Overgangsregeling 2026"))
        by_editor = await press(editor, number, "goedkeuren")
        assert by_editor.status_code == 409 and "Alleen een beheerder" in by_editor.text
        assert (await press(second, number, "goedkeuren")).status_code == 303
        # A grant without an override stays one step.
        plain = await decide(editor, "programmas", "P-000045", "grant", valid_from="01-09-2028", reference="SKZ-2028-0001")
        assert plain.status_code == 303 and "gelukt=grant" in plain.headers["location"]


async def test_four_eyes_can_be_switched_off_for_a_foundation_of_one(settings: Settings) -> None:
    async with staff_app(settings, four_eyes=False) as (app, editor):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(document()), OPERATOR)
        await sign_in(editor, "editor")
        form = await editor.get("/admin/coaches/C-000123")
        assert "Schorsing vastleggen" in form.text and "Schorsing voorstellen" not in form.text
        done = await decide(editor, "coaches", "C-000123", "suspend", **{"from": "01-11-2026"}, reference="SKZ-2026-0600")
        assert done.status_code == 303 and "gelukt=suspend" in done.headers["location"]
