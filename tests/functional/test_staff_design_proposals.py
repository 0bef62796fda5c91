"""Four eyes for a programme's new design below the care standard: only an admin's override lets it in, so it waits for a second
admin; it changes no answer until approved, is checked again when approved, and a design that meets the standard stays one step."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import httpx

from registry.services.imports.plan import import_document
from registry.services.sql import reading
from registry.services.staff import care_standard
from registry.services.staff.clients import create_client
from registry.services.staff.users import create_user
from registry.settings import Settings
from tests.functional.helpers import OPERATOR, encode
from tests.functional.staff import PASSWORD, add_staff, browser, csrf_of, sign_in, staff_app
from tests.functional.test_care_standard_claims import Q_SETUP
from tests.functional.test_staff_proposals import press, proposal_number

# Strict enforcement well after any day these tests run on, so the override is open whatever today is.
LATER_STRICT = {"in_force_from": "2026-01-01", "strict_from": "2099-01-01", "reason": "Overgangsjaar verlengd"}
CLAIM = {"programme_code": "Q", "coach_registration_number": "C-Q", "service_date": "2099-04-01"}
LOW = {"effective_from": "01-03-2099", "sessions": "5", "contact_minutes": "120", "override_reason": "Herontwerp loopt, zie brief 12"}


async def setup(app: Any) -> None:
    """Programme Q (intensive, individual: at least 7 sessions and 180 minutes) with a design that meets the standard, an open grant."""
    document = copy.deepcopy(Q_SETUP)
    document["programmes"][0].update(sessions=8, contact_minutes=240)
    engine = app.state.api.engine
    await import_document(engine, encode(document), OPERATOR)
    await care_standard.change(engine, OPERATOR, LATER_STRICT)
    await add_staff(app)
    await create_user(engine, OPERATOR, "admin2", PASSWORD, "admin", display_name="Tweede Beheerder")


async def rows(app: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    async with reading(app.state.api.engine) as reader:
        return await reader.fetch_all(sql, *params)


async def add_design(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    page = await client.get("/admin/programmas/Q")
    return await client.post("/admin/programmas/Q/ontwerp", data={"csrf_token": csrf_of(page.text), **fields})


async def bearer(app: Any) -> dict[str, str]:
    credentials = await create_client(app.state.api.engine, OPERATOR, "Verzekeraar")
    token = await browser(app, "198.51.100.70").post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": credentials.client_id, "client_secret": credentials.client_secret})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def verdict(app: Any, headers: dict[str, str], **extra: str) -> tuple[bool, list[str]]:
    """The verification API's verdict on the claim for a day after the new design's first day, and its reason codes."""
    await app.state.api.index.catch_up()
    response = await browser(app, "198.51.100.71").post("/api/v1/verifications", json={**CLAIM, **extra}, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    return answer["accredited"], [reason["code"] for reason in answer["reasons"]]


async def test_a_design_only_the_override_lets_in_waits_for_another_admin_and_changes_no_answer_until_then(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await setup(app)
        headers = await bearer(app)
        before = await verdict(app, headers)
        assert before == (True, [])
        await sign_in(admin, "admin")
        form = await admin.get("/admin/programmas/Q")
        assert "een voorstel dat een andere beheerder goedkeurt" in form.text

        number = await proposal_number(await add_design(admin, **LOW))
        assert len(await rows(app, "SELECT id FROM programme_design")) == 1
        # A pending proposal changes no answer: the same verdict as without it.
        assert await verdict(app, headers) == before
        assert (await browser(app, "198.51.100.72").get("/api/v1/programmes/Q")).json()["sessions"] == 8
        # The same design from the same day cannot be proposed twice while it waits.
        twice = await add_design(admin, **LOW)
        assert twice.status_code == 400 and f"wacht al op goedkeuring (voorstel {number})" in twice.text

        second, editor = browser(app, "192.0.2.41"), browser(app, "192.0.2.42")
        await sign_in(second, "admin2")
        await sign_in(editor, "editor")
        listed = await second.get("/admin/voorstellen")
        assert f"/admin/voorstellen/{number}" in listed.text and "Nieuw ontwerp vanaf 1 maart 2099" in listed.text
        assert "Nieuw ontwerp vanaf 1 maart 2099" in (await second.get("/admin")).text
        assert "Nieuw ontwerp vanaf 1 maart 2099" in (await second.get("/admin/programmas/Q")).text
        check = await second.get(f"/admin/voorstellen/{number}")
        assert check.status_code == 200 and "Stoppen op maat" in check.text and "1 maart 2099" in check.text
        assert "7 sessies en 180 contactminuten" in check.text
        assert "2 sessies te weinig, 60 contactminuten te weinig" in check.text
        assert "8 sessies en 240 contactminuten" in check.text  # the design it replaces from that day
        assert "Herontwerp loopt, zie brief 12" in check.text and "1 januari 2099" in check.text
        assert "Voorstel goedkeuren" in check.text

        # Neither the proposer nor an editor may approve it, not even by posting the form.
        own = await press(admin, number, "goedkeuren")
        assert own.status_code == 409 and "zelf voorgesteld" in own.text
        by_editor = await press(editor, number, "goedkeuren")
        assert by_editor.status_code == 409 and "Alleen een beheerder" in by_editor.text
        assert "Voorstel goedkeuren" not in (await editor.get(f"/admin/voorstellen/{number}")).text
        assert await verdict(app, headers) == before
        proposed_at = dt.datetime.now(dt.timezone.utc)

        approved = await press(second, number, "goedkeuren")
        assert approved.status_code == 303 and approved.headers["location"] == "/admin/programmas/Q?gelukt=ontwerp"
        shown = await second.get(approved.headers["location"])
        assert "Het nieuwe ontwerp is aan de ontwerpgeschiedenis toegevoegd" in shown.text
        # The design in force from 1 March 2099 changed: a claim for a day after it, past strict enforcement, is refused now,
        # while the answer as known before the approval stays.
        assert await verdict(app, headers) == (False, ["PROGRAMME_BELOW_CARE_STANDARD"])
        assert await verdict(app, headers, as_known_at=proposed_at.isoformat()) == before
        assert (await press(second, number, "goedkeuren")).status_code == 409

        [design] = await rows(app, "SELECT * FROM programme_design WHERE effective_from = ?", dt.date(2099, 3, 1))
        [proposal] = await rows(app, "SELECT * FROM decision_proposal WHERE id = ?", number)
        assert design["recorded_by"] == "user:admin2" and design["sessions"] == 5
        assert design["override_reason"] == "Herontwerp loopt, zie brief 12"
        assert proposal["state"] == "approved" and proposal["decided_by"] == "user:admin2"
        assert design["recorded_at"] == proposal["decided_at"] and design["recorded_at"] > proposal["proposed_at"]
        events = await rows(app, "SELECT actor, action, after_state FROM audit_event WHERE action IN "
                                 "('registry:proposal:create', 'registry:programme:design', 'registry:proposal:approve') ORDER BY id")
        assert [(e["actor"], e["action"]) for e in events] == [("user:admin", "registry:proposal:create"),
                                                              ("user:admin2", "registry:programme:design"),
                                                              ("user:admin2", "registry:proposal:approve")]
        assert '"proposed_by":"user:admin"' in str(events[1]["after_state"]).replace(" ", "").replace("'", '"')
        log = await second.get("/admin/audit?code=Q")
        assert "voorgesteld door Admin Tester" in log.text


async def test_strict_enforcement_before_the_approval_refuses_the_override_and_keeps_the_proposal(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await setup(app)
        await sign_in(admin, "admin")
        number = await proposal_number(await add_design(admin, **LOW))
        # Strict enforcement has begun by the time a second admin looks (a day long past, whatever today is).
        await care_standard.change(app.state.api.engine, OPERATOR, {"in_force_from": "2026-01-01", "strict_from": "2026-01-02",
                                                                    "reason": "Strikte handhaving vervroegd"})
        second = browser(app, "192.0.2.43")
        await sign_in(second, "admin2")
        refused = await press(second, number, "goedkeuren")
        assert refused.status_code == 409 and "De overgangsregeling is op 2026-01-02 geëindigd" in refused.text
        assert "2 januari 2026" in refused.text
        [proposal] = await rows(app, "SELECT state FROM decision_proposal WHERE id = ?", number)
        assert proposal["state"] == "pending" and len(await rows(app, "SELECT id FROM programme_design")) == 1
        rejected = await press(second, number, "afwijzen", rejection_reason="Strikte handhaving is begonnen.")
        assert rejected.status_code == 303
        shown = await second.get(f"/admin/voorstellen/{number}")
        assert "Afgewezen door Tweede Beheerder" in shown.text and "Strikte handhaving is begonnen." in shown.text
        assert len(await rows(app, "SELECT id FROM programme_design")) == 1


async def test_a_design_that_meets_the_standard_stays_one_step_even_with_an_override_reason(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await setup(app)
        await sign_in(admin, "admin")
        done = await add_design(admin, **{**LOW, "sessions": "9", "contact_minutes": "300"})
        assert done.status_code == 303 and done.headers["location"] == "/admin/programmas/Q?gelukt=ontwerp"
        assert await rows(app, "SELECT id FROM decision_proposal") == []
        [design] = await rows(app, "SELECT recorded_by FROM programme_design WHERE effective_from = ?", dt.date(2099, 3, 1))
        assert design["recorded_by"] == "user:admin"


async def test_without_four_eyes_an_admin_records_an_override_alone(settings: Settings) -> None:
    async with staff_app(settings, four_eyes=False) as (app, admin):
        await setup(app)
        await sign_in(admin, "admin")
        headers = await bearer(app)
        form = await admin.get("/admin/programmas/Q")
        assert "een voorstel dat een andere beheerder goedkeurt" not in form.text
        done = await add_design(admin, **LOW)
        assert done.status_code == 303 and done.headers["location"] == "/admin/programmas/Q?gelukt=ontwerp"
        assert await rows(app, "SELECT id FROM decision_proposal") == []
        [design] = await rows(app, "SELECT recorded_by, override_reason FROM programme_design WHERE effective_from = ?", dt.date(2099, 3, 1))
        assert design["recorded_by"] == "user:admin" and design["override_reason"] == LOW["override_reason"]
        assert await verdict(app, headers) == (False, ["PROGRAMME_BELOW_CARE_STANDARD"])
