"""Staff record decisions through HTTP: the timeline, confirmation of revoke and retract, the care standard and its transition override."""

from __future__ import annotations

import re

import httpx

from registry.services.sql import reading
from registry.settings import Settings
from tests.functional.helpers import open_transition
from tests.functional.staff import add_staff, browser, csrf_of, sign_in, staff_app
from tests.functional.test_staff_records import COACH, create


async def decide(client: httpx.AsyncClient, slug: str, code: str, kind: str, **fields: str) -> httpx.Response:
    """Post one decision form of the record's page."""
    page = await client.get(f"/admin/{slug}/{code}")
    return await client.post(f"/admin/{slug}/{code}/besluiten", data={"csrf_token": csrf_of(page.text), "kind": kind, **fields})


async def confirm(client: httpx.AsyncClient, confirmation: httpx.Response) -> httpx.Response:
    """Press "yes" on a confirmation page: post its hidden fields back."""
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirmation.text))
    action = re.search(r'<form method="post" action="([^"]+)"', confirmation.text).group(1)
    return await client.post(action, data=fields)


async def public_status(app: object, code: str) -> str:
    response = await browser(app, "198.51.100.50").get(f"/api/v1/coaches/{code}")
    return response.json()["status"]


async def test_grant_suspend_lift_revoke_and_retract_change_what_the_public_sees(settings: Settings) -> None:
    # One step each when four eyes is off (tests/functional/test_staff_proposals.py has the two-person way).
    async with staff_app(settings, four_eyes=False) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        code = await create(editor, "coaches", COACH)
        assert await public_status(app, code) == "not_accredited"

        granted = await decide(editor, "coaches", code, "grant", valid_from="01-01-2025", valid_until="31-12-2030",
                               reference="SKZ-2025-0001", reason="Registratie na opleiding")
        assert granted.status_code == 303 and granted.headers["location"] == f"/admin/coaches/{code}?gelukt=grant&besluit=SKZ-2025-0001"
        assert await public_status(app, code) == "accredited"

        assert (await decide(editor, "coaches", code, "suspend", **{"from": "01-11-2026"}, reference="SKZ-2026-0100",
                             reason="Onderzoek naar klacht")).status_code == 303
        assert await public_status(app, code) == "suspended"

        page = await editor.get(f"/admin/coaches/{code}")
        assert '<option value="SKZ-2026-0100">' in page.text  # the open suspension can be lifted
        assert (await decide(editor, "coaches", code, "lift", suspension="SKZ-2026-0100", date="20-11-2026",
                             reference="SKZ-2026-0110")).status_code == 303
        assert await public_status(app, code) == "accredited"

        asked = await decide(editor, "coaches", code, "revoke", effective="21-11-2026", reference="SKZ-2026-0120", reason="Ernstig verwijtbaar")
        assert asked.status_code == 200 and "Besluit bevestigen" in asked.text and "21 november 2026" in asked.text
        assert await public_status(app, code) == "accredited"  # nothing recorded before the confirmation
        assert (await confirm(editor, asked)).status_code == 303
        assert await public_status(app, code) == "revoked"

        asked = await decide(editor, "coaches", code, "retract", target="SKZ-2026-0120", reference="SKZ-2026-0121", reason="Verkeerde coach")
        assert asked.status_code == 200 and "onjuist ingevoerd" in asked.text
        assert (await confirm(editor, asked)).status_code == 303
        assert await public_status(app, code) == "accredited"

        timeline = await editor.get(f"/admin/coaches/{code}")
        for reference in ("SKZ-2025-0001", "SKZ-2026-0100", "SKZ-2026-0110", "SKZ-2026-0120", "SKZ-2026-0121"):
            assert reference in timeline.text
        assert "vervallen door SKZ-2026-0121" in timeline.text and "Editor Tester" in timeline.text
        async with reading(app.state.api.engine) as reader:
            events = await reader.fetch_all("SELECT actor, actor_role FROM audit_event WHERE action = 'registry:decision:record'")
        assert len(events) == 5 and {(e["actor"], e["actor_role"]) for e in events} == {("user:editor", "editor")}


async def test_refused_decisions_say_why_per_field_and_record_nothing(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        code = await create(editor, "coaches", COACH)
        bad = await decide(editor, "coaches", code, "grant", valid_from="31-02-2026", reference="")
        assert bad.status_code == 400 and 'id="grant-valid_from-error"' in bad.text and "is geen bestaande datum" in bad.text
        assert 'id="grant-reference-error"' in bad.text and "<details class=\"decision-form\" open>" in bad.text
        # The summary names fields by their labels, never by their keys, takes the focus, and the title says there is an error.
        summary = bad.text[bad.text.index('class="error-summary"'):bad.text.index("</div>", bad.text.index('class="error-summary"'))]
        assert "Geldig vanaf: " in summary and "Kenmerk van het besluit: " in summary and "grant-valid_from:" not in summary
        assert "autofocus" in summary and "<title>Fout: " in bad.text
        backwards = await decide(editor, "coaches", code, "grant", valid_from="01-06-2026", valid_until="01-01-2026", reference="G-1")
        assert backwards.status_code == 400 and "eindigt voordat het begint" in backwards.text
        await decide(editor, "coaches", code, "grant", valid_from="01-01-2026", reference="G-1")
        again = await decide(editor, "coaches", code, "suspend", **{"from": "01-03-2026"}, reference="G-1")
        assert again.status_code == 400 and "Kenmerk G-1 is al gebruikt; het volgende vrije kenmerk is SKZ-" in again.text
        revoke_refused = await decide(editor, "coaches", code, "revoke", effective="morgen", reference="R-1")
        assert revoke_refused.status_code == 400 and "Besluit bevestigen" not in revoke_refused.text  # refused before confirming
        async with reading(app.state.api.engine) as reader:
            assert (await reader.fetch_one("SELECT COUNT(*) AS n FROM decision"))["n"] == 1


async def test_the_care_standard_refuses_a_short_programme_and_only_an_admin_may_override_it_in_the_transition(settings: Settings) -> None:
    async with staff_app(settings, four_eyes=False) as (app, editor):
        await add_staff(app)
        await open_transition(app.state.api.engine)
        admin = browser(app, "192.0.2.88")
        await sign_in(editor, "editor")
        await sign_in(admin, "admin")
        organisation = await create(editor, "organisaties", {"name": "Stopcentrum Zwolle", "city": "Zwolle"})
        programme = await create(editor, "programmas", {"name": "Snel stoppen", "organisation": organisation, "guidance_type": "intensive",
                                                         "format": "group", "modes": ["on_site", "video"], "sessions": "5",
                                                         "contact_minutes": "200", "cities": "Zwolle, Kampen"})
        editor_page = await editor.get(f"/admin/programmas/{programme}")
        assert "Snel stoppen" in editor_page.text and "Op locatie" in editor_page.text and 'name="override_reason"' not in editor_page.text
        refused = await decide(editor, "programmas", programme, "grant", valid_from="01-03-2026", reference="SKZ-2026-0200")
        assert refused.status_code == 400
        assert "voldoet niet aan de Zorgstandaard Tabaksverslaving 2025" in refused.text and "5 sessies en 200 contactminuten" in refused.text
        assert "het minimum is 7 sessies en 270 minuten" in refused.text
        sneaked = await decide(editor, "programmas", programme, "grant", valid_from="01-03-2026", reference="SKZ-2026-0200",
                               override_reason="Ik mag dit niet")  # the field is ignored for an editor
        assert sneaked.status_code == 400
        admin_page = await admin.get(f"/admin/programmas/{programme}")
        assert 'name="override_reason"' in admin_page.text
        overridden = await decide(admin, "programmas", programme, "grant", valid_from="01-03-2026", reference="SKZ-2026-0200",
                                  override_reason="Overgangsjaar: programma wordt in 2026 uitgebreid naar 7 sessies")
        assert overridden.status_code == 303
        page = await admin.get(f"/admin/programmas/{programme}")
        assert "Overgangsjaar: programma wordt in 2026 uitgebreid" in page.text
        public = await browser(app, "198.51.100.51").get(f"/api/v1/programmes/{programme}")
        assert public.json()["status"] == "accredited"


async def test_a_coach_gets_a_completed_training_and_a_correction(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        code = await create(editor, "coaches", COACH)
        training = await create(editor, "opleidingen", {"name": "Stoppen met roken coach", "guidance_types": ["short", "intensive"],
                                                       "formats": ["individual"]})
        page = await editor.get(f"/admin/coaches/{code}")
        added = await editor.post(f"/admin/coaches/{code}/opleidingen", data={"csrf_token": csrf_of(page.text), "training": training.lower(),
                                                                              "completed_on": "17-05-2024", "certificate": "AB-991"})
        assert added.status_code == 303
        corrected = await editor.post(f"/admin/coaches/{code}/opleidingen", data={"csrf_token": csrf_of(page.text), "training": training,
                                                                                  "completed_on": "2024-05-18", "certificate": "AB-992"})
        assert corrected.status_code == 303
        page = await editor.get(f"/admin/coaches/{code}")
        assert "18 mei 2024" in page.text and "AB-992" in page.text and "AB-991" not in page.text
        unknown = await editor.post(f"/admin/coaches/{code}/opleidingen", data={"csrf_token": csrf_of(page.text), "training": "T-999999",
                                                                                "completed_on": "17-05-2024"})
        assert unknown.status_code == 400 and "geen opleiding met code T-999999" in unknown.text
