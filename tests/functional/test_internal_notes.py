"""A decision's public explanation is published; its internal note never leaves the staff pages."""

from __future__ import annotations

import datetime as dt

from registry.services.imports.plan import import_document
from registry.services.public.read import public_decision
from registry.settings import Settings
from tests.functional.helpers import BASE_DOCUMENT, OPERATOR, document, encode
from tests.functional.staff import add_staff, browser, sign_in, staff_app

NOTE = "INTERN-7f3a: klager heeft dossiernummer 5521"


def noted_document() -> dict:
    """The known records with a decision of every kind, each carrying an internal note and a public explanation."""
    decisions = [dict(item) for item in BASE_DOCUMENT["decisions"]] + [
        {"subject": "coach", "code": "C-000123", "kind": "lift", "suspension": "SKZ-2026-0102", "date": "2026-05-01",
         "reference": "SKZ-2026-0103", "reason": "Onderzoek afgerond zonder bevindingen."},
        {"subject": "coach", "code": "C-000123", "kind": "revoke", "effective": "2026-11-01", "reference": "SKZ-2026-0104",
         "reason": "Ingetrokken na tuchtuitspraak."},
        {"subject": "coach", "code": "C-000123", "kind": "retract", "target": "SKZ-2026-0104", "reference": "SKZ-2026-0105",
         "reason": "Intrekking betrof een andere coach."},
    ]
    for number, decision in enumerate(decisions):
        decision["internal_note"] = f"{NOTE} ({number})"
    return document(decisions=decisions)


async def test_internal_notes_are_nowhere_public_and_explanations_are(settings: Settings) -> None:
    async with staff_app(settings) as (app, staff):
        await import_document(app.state.api.engine, encode(noted_document()), OPERATOR)
        await app.state.api.index.catch_up()
        public = browser(app, "198.51.100.70")
        crawled = {}
        for path in ("/", "/coaches/C-000123", "/programmas/P-000045", "/opleidingen/T-000003", "/organisaties/O-000012",
                     "/coaches?q=vries", "/programmas", "/zoeken?q=SKZ-2026-0103", "/api/v1/coaches/C-000123", "/api/v1/programmes/P-000045",
                     "/api/v1/trainings/T-000003", "/api/v1/coaches?q=vries", "/api/v1/changes", "/open-data/registry.json",
                     "/open-data/coaches.csv", "/open-data/programmes.csv", "/open-data/trainings.csv", "/open-data", "/schema/openapi.json"):
            response = await public.get(path, headers={"Accept": "text/html" if not path.startswith(("/api", "/open-data/")) else "*/*"})
            crawled[path] = response
            assert response.status_code == 200, (path, response.status_code)
            assert "INTERN-7f3a" not in response.text and "dossiernummer" not in response.text, path
        assert crawled["/api/v1/coaches/C-000123"].status_code == 200 and crawled["/api/v1/changes"].status_code == 200
        assert crawled["/open-data/registry.json"].status_code == 200
        # Lifts and withdrawals carry a public explanation too: on the page, in the API, the feed and the open data.
        for path in ("/coaches/C-000123", "/api/v1/coaches/C-000123", "/api/v1/changes", "/open-data/registry.json"):
            for explanation in ("Onderzoek afgerond zonder bevindingen.", "Intrekking betrof een andere coach."):
                assert explanation in crawled[path].text, (path, explanation)

        await add_staff(app)
        await sign_in(staff, "viewer")
        record = await staff.get("/admin/coaches/C-000123")
        assert f"{NOTE} (5)" in record.text and "Intrekking betrof een andere coach." in record.text


def test_reasons_recorded_before_they_were_labelled_public_stay_as_they_were() -> None:
    # A decision recorded before the form said "appears on the public page" has no reason_public: only suspensions' and
    # revocations' reasons were published then, and only those stay published.
    moment = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone.utc)
    lift = {"kind": "lift", "reference": "L-1", "recorded_at": moment, "starts_on": dt.date(2025, 1, 1), "ends_on": None, "target_id": 1,
            "reason": "oude toelichting", "reason_public": None}
    suspension = {**lift, "kind": "suspend", "target_id": None, "reason": "oude schorsing"}
    assert public_decision(lift, {1: "S-1"}).reason == ""
    assert public_decision({**lift, "reason_public": True}, {1: "S-1"}).reason == "oude toelichting"
    assert public_decision(suspension, {}).reason == "oude schorsing"
