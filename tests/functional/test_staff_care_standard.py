"""Staff pages of the care standard: a programme's design history with a new design from a date (never an edit in
place), refusals naming the shortfall, the admin page for the standard's dates, and what the public page says."""

from __future__ import annotations

import copy
import datetime as dt

from registry.services.imports.plan import import_document
from registry.services.sql import reading
from registry.services.staff.clients import create_client
from registry.settings import Settings
from tests.functional.helpers import OPERATOR, encode, open_transition
from tests.functional.staff import add_staff, browser, csrf_of, sign_in, staff_app
from tests.functional.test_care_standard_claims import Q_SETUP


def good_q() -> dict:
    document = copy.deepcopy(Q_SETUP)
    document["programmes"][0].update(sessions=8, contact_minutes=240)
    return document


async def rows(app: object, sql: str) -> list[dict]:
    async with reading(app.state.api.engine) as reader:
        return await reader.fetch_all(sql)


async def test_an_editor_adds_a_design_from_a_date_and_a_shortfall_is_refused_by_name(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(good_q()), OPERATOR)
        await sign_in(editor, "editor")
        page = await editor.get("/admin/programmas/Q")
        assert page.status_code == 200 and "Ontwerpgeschiedenis" in page.text and "geldt vandaag" in page.text
        form = await editor.get("/admin/programmas/Q/wijzigen")
        assert 'name="sessions"' not in form.text and 'name="contact_minutes"' not in form.text
        low = await editor.post("/admin/programmas/Q/ontwerp", data={"csrf_token": csrf_of(page.text), "effective_from": "01-03-2027",
                                                                     "sessions": "5", "contact_minutes": "120"})
        assert low.status_code == 400
        assert "5 sessies en 120 contactminuten" in low.text and "minimum is 7 sessies en 180 minuten" in low.text
        assert len(await rows(app, "SELECT id FROM programme_design")) == 1
        good = await editor.post("/admin/programmas/Q/ontwerp", data={"csrf_token": csrf_of(page.text), "effective_from": "01-03-2027",
                                                                      "sessions": "9", "contact_minutes": "300"})
        assert good.status_code == 303 and good.headers["location"] == "/admin/programmas/Q?gelukt=ontwerp"
        designs = await rows(app, "SELECT effective_from, sessions, recorded_by FROM programme_design ORDER BY id")
        assert [(str(d["effective_from"]), d["sessions"], d["recorded_by"]) for d in designs][-1] == ("2027-03-01", 9, "user:editor")
        events = await rows(app, "SELECT actor FROM audit_event WHERE action = 'registry:programme:design'")
        assert [e["actor"] for e in events] == ["user:editor"]
        shown = await editor.get("/admin/programmas/Q?gelukt=ontwerp")
        assert "1 maart 2027" in shown.text and "ontwerpgeschiedenis" in shown.text.lower()
        bad = await editor.post("/admin/programmas/Q/ontwerp", data={"csrf_token": csrf_of(page.text), "effective_from": "31-02-2027",
                                                                     "sessions": "negen", "contact_minutes": ""})
        assert bad.status_code == 400 and len(await rows(app, "SELECT id FROM programme_design")) == 2


async def test_an_admin_changes_the_dates_with_an_audit_event_and_others_may_only_look(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        page = await admin.get("/admin/zorgstandaard")
        assert page.status_code == 200 and "1 januari 2027" in page.text
        wrong = await admin.post("/admin/zorgstandaard", data={"csrf_token": csrf_of(page.text), "in_force_from": "01-01-2026",
                                                               "strict_from": "01-12-2025", "reason": "Besluit"})
        assert wrong.status_code == 400 and await rows(app, "SELECT id FROM care_standard") == []
        saved = await admin.post("/admin/zorgstandaard", data={"csrf_token": csrf_of(page.text), "in_force_from": "01-01-2026",
                                                               "strict_from": "01-07-2027", "reason": "Besluit bestuur SKZ"})
        assert saved.status_code == 303
        [version] = await rows(app, "SELECT strict_from, recorded_by, reason FROM care_standard")
        assert str(version["strict_from"]) == "2027-07-01" and version["recorded_by"] == "user:admin"
        [event] = await rows(app, "SELECT actor, before_state, after_state FROM audit_event WHERE action = 'registry:care_standard:change'")
        assert event["actor"] == "user:admin" and "2027-01-01" in event["before_state"] and "2027-07-01" in event["after_state"]
        assert "1 juli 2027" in (await admin.get("/admin/zorgstandaard")).text
        editor = browser(app, "192.0.2.21")
        await sign_in(editor, "editor")
        look = await editor.get("/admin/zorgstandaard")
        assert look.status_code == 200 and 'action="/admin/zorgstandaard"' not in look.text
        refused = await editor.post("/admin/zorgstandaard", data={"csrf_token": csrf_of(look.text), "in_force_from": "01-01-2026",
                                                                  "strict_from": "01-01-2028", "reason": "x"})
        assert refused.status_code == 403 and len(await rows(app, "SELECT id FROM care_standard")) == 1


async def test_the_public_page_shows_todays_design_and_says_from_when_it_falls_short(settings: Settings) -> None:
    async with staff_app(settings) as (app, visitor):
        # Strict enforcement years ahead, whatever today is: the page speaks of a day still to come.
        strict_from = await open_transition(app.state.api.engine)
        await import_document(app.state.api.engine, encode(Q_SETUP), OPERATOR)
        dutch = await visitor.get("/programmas/Q")
        assert dutch.status_code == 200
        assert f"Vanaf 1 januari {strict_from.year} ligt het ontwerp van dit programma onder het minimum" in dutch.text
        english = await visitor.get("/programmas/Q", headers={"Accept-Language": "en"}, cookies={"taal": "en"})
        assert f"From 1 January {strict_from.year} the design of this programme is below the minimum" in english.text
        api = (await visitor.get("/api/v1/programmes/Q")).json()
        assert api["below_care_standard_from"] == strict_from.isoformat() and api["sessions"] == 6
        await import_document(app.state.api.engine, encode({"programmes": [{"code": "Q", "designs": [
            {"effective_from": strict_from.replace(month=3).isoformat(), "sessions": 8, "contact_minutes": 240}]}]}), OPERATOR)
        later = (await visitor.get("/api/v1/programmes/Q")).json()
        # Today's design is still version 1; from strict enforcement until version 2 starts it falls short.
        assert later["below_care_standard_from"] == strict_from.isoformat() and later["sessions"] == 6


async def test_new_dates_change_the_answers_from_then_on_and_not_as_known_before(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(Q_SETUP), OPERATOR)
        await sign_in(admin, "admin")
        claim = {"programme_code": "Q", "coach_registration_number": "C-Q", "service_date": "2027-03-01"}
        credentials = await create_client(app.state.api.engine, OPERATOR, "Verzekeraar")
        token = await admin.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": credentials.client_id,
                                                       "client_secret": credentials.client_secret})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        before = (await admin.post("/api/v1/verifications", json=claim, headers=headers)).json()
        assert [r["code"] for r in before["reasons"]] == ["PROGRAMME_BELOW_CARE_STANDARD"]
        moment = dt.datetime.now(dt.timezone.utc)
        page = await admin.get("/admin/zorgstandaard")
        saved = await admin.post("/admin/zorgstandaard", data={"csrf_token": csrf_of(page.text), "in_force_from": "01-01-2026",
                                                               "strict_from": "01-07-2027", "reason": "Uitstel strikte handhaving"})
        assert saved.status_code == 303
        after = (await admin.post("/api/v1/verifications", json=claim, headers=headers)).json()
        assert after["accredited"] is True
        then = (await admin.post("/api/v1/verifications", json={**claim, "as_known_at": moment.isoformat()}, headers=headers)).json()
        assert [r["code"] for r in then["reasons"]] == ["PROGRAMME_BELOW_CARE_STANDARD"]
