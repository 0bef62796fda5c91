"""Withdrawing a coach's completed training: a new version that withdraws it, through the import and the staff form.
Claims after it are refused COACH_NOT_QUALIFIED; an answer as known before it still counts the training; every
withdrawal is audited and the chain still verifies."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from registry.services.imports.plan import import_document
from registry.services.sql import reading
from registry.settings import Settings
from tests.functional.api_client import ApiSession
from tests.functional.helpers import OPERATOR, encode
from tests.functional.staff import add_staff, csrf_of, sign_in, staff_app
from tests.functional.test_audit_anchor import verify as audit_verify

SETUP: dict[str, Any] = {
    "organisations": [{"code": "O-W", "name": "Rookvrij Zwolle", "city": "Zwolle"}],
    "trainings": [{"code": "T-W", "name": "Groepstraining stoppen", "organisation": "O-W", "guidance_types": ["intensive"],
                   "formats": ["individual"]}],
    "programmes": [{"code": "W", "name": "Samen stoppen", "organisation": "O-W", "guidance_type": "intensive", "format": "individual",
                    "sessions": 6, "contact_minutes": 150}],
    "coaches": [{"registration_number": "C-W", "initials": "A.", "surname": "de Vries"}],
    "qualifications": [{"coach": "C-W", "training": "T-W", "completed_on": "2023-05-01", "certificate": "CERT-7"}],
    "decisions": [
        {"subject": "training", "code": "T-W", "kind": "grant", "valid_from": "2020-01-01", "reference": "T-W-1"},
        {"subject": "coach", "code": "C-W", "kind": "grant", "valid_from": "2020-01-01", "reference": "C-W-1"},
        {"subject": "programme", "code": "W", "kind": "grant", "valid_from": "2020-01-01", "reference": "W-1"},
    ],
}
WITHDRAW = {"qualifications": [{"coach": "C-W", "training": "T-W", "withdrawn": True}]}
CLAIM = {"programme_code": "W", "coach_registration_number": "C-W", "service_date": "2026-06-01"}


async def _counts(engine: Any) -> tuple[int, int, list[str]]:
    async with reading(engine) as reader:
        versions = await reader.fetch_all("SELECT withdrawn FROM qualification_version ORDER BY id")
        events = await reader.fetch_all("SELECT action FROM audit_event ORDER BY id")
    return len(versions), len(events), [row["action"] for row in events]


async def _moment() -> dt.datetime:
    await asyncio.sleep(0.01)
    moment = dt.datetime.now(dt.timezone.utc)
    await asyncio.sleep(0.01)
    return moment


async def test_a_withdrawal_by_import_refuses_claims_from_then_on_and_answers_as_known_before_stand(session: ApiSession,
                                                                                                  settings: Settings) -> None:
    await import_document(session.engine, encode(SETUP), OPERATOR)
    await session.recorded()
    headers = await session.bearer()

    async def ask(known_at: dt.datetime | None = None) -> dict[str, Any]:
        claim = {**CLAIM, **({"as_known_at": known_at.isoformat()} if known_at else {})}
        response = await session.http.post("/api/v1/verifications", json=claim, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    assert (await ask())["accredited"] is True
    before = await _moment()
    report = await import_document(session.engine, encode(WITHDRAW), OPERATOR)
    assert report.updated["qualifications"] == 1
    await session.recorded()
    after = await ask()
    assert after["accredited"] is False
    assert [reason["code"] for reason in after["reasons"]] == ["COACH_NOT_QUALIFIED"]
    assert (await ask(before))["accredited"] is True
    # The public no longer sees the training among the coach's qualifications, nor the coach among the training's.
    coach = await session.http.get("/api/v1/coaches/C-W")
    assert coach.status_code == 200 and coach.json()["qualifications"] == []
    training = await session.http.get("/api/v1/trainings/T-W")
    assert training.json()["qualified_coaches"] == 0
    versions, events, actions = await _counts(session.engine)
    assert actions.count("registry:qualification:withdraw") == 1

    # The same withdrawal again changes nothing: no version, no change to the qualification (the import itself is logged).
    again = await import_document(session.engine, encode(WITHDRAW), OPERATOR)
    assert again.unchanged["qualifications"] == 1 and again.updated["qualifications"] == 0
    after_again = await _counts(session.engine)
    assert after_again[0] == versions
    assert [a for a in after_again[2][events:] if a.startswith("registry:qualification")] == []

    # Stating the qualification again adds it back as a new version; the withdrawal stays in its history.
    withdrawn_at = await _moment()
    await import_document(session.engine, encode({"qualifications": SETUP["qualifications"]}), OPERATOR)
    await session.recorded()
    assert (await ask())["accredited"] is True
    assert (await ask(withdrawn_at))["accredited"] is False
    assert [q["training"]["code"] for q in (await session.http.get("/api/v1/coaches/C-W")).json()["qualifications"]] == ["T-W"]
    assert (await _counts(session.engine))[0] == versions + 1

    code, out, err = await audit_verify(settings)
    assert code == 0, out + err


async def test_withdrawing_what_is_not_there_is_refused_and_writes_nothing(session: ApiSession) -> None:
    await import_document(session.engine, encode({key: value for key, value in SETUP.items() if key != "qualifications"}), OPERATOR)
    before = await _counts(session.engine)
    response_errors = None
    try:
        await import_document(session.engine, encode(WITHDRAW), OPERATOR)
    except Exception as failure:  # noqa: BLE001 - the refusal's fields are what this test reads
        response_errors = [(error.field, error.code) for error in getattr(failure, "errors", [])]
    assert response_errors == [("qualifications[0].withdrawn", "unknown_reference")]
    bad = {"qualifications": [{"coach": "C-W", "training": "T-W", "completed_on": "2023-05-01", "withdrawn": "yes"}]}
    try:
        await import_document(session.engine, encode(bad), OPERATOR)
        raise AssertionError("a withdrawn flag that is not a boolean was taken")
    except Exception as failure:  # noqa: BLE001
        assert [(error.field, error.code) for error in getattr(failure, "errors", [])][0][0] == "qualifications[0].withdrawn"
    assert await _counts(session.engine) == before


async def test_an_editor_withdraws_a_qualification_after_confirming_it(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        engine = app.state.api.engine
        await import_document(engine, encode(SETUP), OPERATOR)
        await sign_in(editor, "editor")
        page = await editor.get("/admin/coaches/C-W")
        assert "Kwalificatie intrekken" in page.text
        action = "/admin/coaches/C-W/opleidingen/T-W/intrekken"
        before = await _counts(engine)
        confirm = await editor.post(action, data={"csrf_token": csrf_of(page.text), "version": "1"})
        assert confirm.status_code == 200 and "Ja, deze kwalificatie intrekken" in confirm.text
        assert await _counts(engine) == before  # asking for confirmation writes nothing
        done = await editor.post(action, data={"csrf_token": csrf_of(confirm.text), "version": "1", "bevestigd": "ja"})
        assert done.status_code == 303, done.text
        shown = await editor.get(done.headers["location"])
        assert "De gevolgde opleiding is ingetrokken." in shown.text
        assert "ingetrokken op" in shown.text and "Kwalificatie intrekken" not in shown.text
        versions, events, actions = await _counts(engine)
        assert versions == before[0] + 1 and actions[before[1]:].count("registry:qualification:withdraw") == 1
        async with reading(engine) as reader:
            event = await reader.fetch_one("SELECT actor_role, subject_code FROM audit_event WHERE action = ?", "registry:qualification:withdraw")
        assert event is not None and event["subject_code"] == "C-W" and event["actor_role"] == "editor"

        # Withdrawing it again is refused clearly and writes nothing.
        again = await editor.post(action, data={"csrf_token": csrf_of(shown.text), "version": "2", "bevestigd": "ja"})
        assert again.status_code == 409 and "al ingetrokken" in again.text
        assert await _counts(engine) == (versions, events, actions)

        # A viewer may not withdraw.
        viewer = type(editor)(transport=editor._transport, base_url=str(editor.base_url))
        await sign_in(viewer, "viewer")
        viewer_page = await viewer.get("/admin/coaches/C-W")
        assert "Kwalificatie intrekken" not in viewer_page.text
        refused = await viewer.post(action, data={"csrf_token": csrf_of(viewer_page.text), "bevestigd": "ja"})
        assert refused.status_code == 403
        await viewer.aclose()

    code, out, err = await audit_verify(settings)
    assert code == 0, out + err
