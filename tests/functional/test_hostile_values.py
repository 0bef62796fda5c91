"""Hostile values: times beyond the calendar, NUL and control characters, text-direction overrides, a newline after
an AGB code, oversized list items. Each is refused with an error naming its field (or a 400 for an address), and
nothing is written."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from registry.services.errors import ValidationFailed
from registry.services.imports.plan import import_document
from registry.services.sql import reading
from registry.services.staff.clients import create_client
from registry.services.staff.users import create_local_account
from registry.settings import Settings
from tests.functional.api_client import ApiSession
from tests.functional.helpers import OPERATOR, document, encode, snapshot
from tests.functional.staff import PASSWORD, add_staff, csrf_of, sign_in, staff_app

CLAIM = {"programme_code": "P-000045", "coach_registration_number": "C-000123", "service_date": "2026-01-15"}
REFUSED_CHARACTER = "mag geen stuurtekens"  # the Dutch field error for a control or text-direction character
REFUSED_DAY = "Vul een datum in tussen 01-01-1900 en 31-12-2199."


async def count(engine: Any, table: str) -> int:
    async with reading(engine) as reader:
        return (await reader.fetch_one(f'SELECT COUNT(*) AS n FROM "{table}"'))["n"]


@pytest.fixture
async def loaded(session: ApiSession) -> dict[str, str]:
    """The base register and a client's bearer headers."""
    await import_document(session.engine, encode(document()), OPERATOR)
    await session.recorded()
    return await session.bearer()


@pytest.mark.parametrize("field, value", [
    ("as_known_at", "0001-01-01T00:00:00+01:00"),
    ("as_known_at", "1899-12-31T12:00:00Z"),
    ("service_date", "9999-12-31"),
    ("service_date", "0001-01-01"),
    ("reference", "claim\u000088"),
    ("reference", "claim\u202e88"),
])
async def test_a_claim_beyond_the_calendar_or_with_control_characters_is_a_422_naming_the_field(
        session: ApiSession, loaded: dict[str, str], field: str, value: str) -> None:
    response = await session.http.post("/api/v1/verifications", json={**CLAIM, field: value}, headers=loaded)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [error["field"] for error in response.json()["errors"]]
    assert await count(session.engine, "verification") == 0


async def test_one_claim_beyond_the_calendar_is_an_item_error_and_the_others_are_answered(
        session: ApiSession, loaded: dict[str, str]) -> None:
    items = [CLAIM, {**CLAIM, "as_known_at": "0001-01-01T00:00:00+01:00"}, {**CLAIM, "service_end_date": "2200-01-01",
                                                                         "service_date": "2199-12-31"}, CLAIM]
    response = await session.http.post("/api/v1/verifications/batch", json={"items": items}, headers=loaded)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["summary"]["invalid"] == 2 and body["summary"]["accredited"] + body["summary"]["rejected"] == 2
    first, second, third, fourth = body["results"]
    assert second["index"] == 1 and [error["field"] for error in second["error"]["errors"]] == ["as_known_at"]
    assert third["index"] == 2 and [error["field"] for error in third["error"]["errors"]] == ["service_end_date"]
    assert first["receipt"] and fourth["receipt"]
    assert await count(session.engine, "verification") == 2  # only the answered claims are stored


async def test_the_public_check_refuses_a_date_beyond_the_calendar_on_the_field(settings: Settings) -> None:
    async with staff_app(settings) as (app, visitor):
        await import_document(app.state.api.engine, encode(document()), OPERATOR)
        for field, value in (("service_date", "31-12-9999"), ("service_end_date", "01-01-2200")):
            asked = {**CLAIM, "service_date": "31-12-2199", field: value}
            response = await visitor.get("/controleren", params=asked)
            assert response.status_code == 400, (field, response.status_code)
            assert REFUSED_DAY in response.text, field


@pytest.mark.parametrize("path, headers, kind", [
    ("/api/v1/programmes/P-0%00", {}, "problem"),
    ("/api/v1/coaches?q=Vries%00", {}, "problem"),
    ("/api/v1/verifications/abc%00def", "bearer", "problem"),
    ("/programmas/P-0%00", {"accept": "text/html"}, "page"),
    ("/coaches?city=Utrecht%0D%0ASet-Cookie:x", {"accept": "text/html"}, "page"),
    ("/zoeken?q=%E2%80%AEtxt.exe", {"accept": "text/html"}, "page"),
    ("/admin/inloggen?return_to=/admin%00", {"accept": "text/html"}, "page"),
])
async def test_an_address_with_a_control_character_is_a_400_before_any_route(
        session: ApiSession, loaded: dict[str, str], path: str, headers: Any, kind: str) -> None:
    before = await snapshot(session.engine)
    response = await session.http.get(path, headers=loaded if headers == "bearer" else headers)
    assert response.status_code == 400, (path, response.status_code, response.text[:300])
    if kind == "problem":
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "control character" in response.json()["detail"]
    else:
        assert response.headers["content-type"].startswith("text/html")
    assert await snapshot(session.engine) == before


async def test_a_username_with_nul_is_refused_and_audited_escaped(settings: Settings) -> None:
    async with staff_app(settings) as (app, staff):
        await add_staff(app)
        before = await count(app.state.api.engine, "audit_event")
        response = await sign_in(staff, "editor\x00\u202e", PASSWORD)
        assert response.status_code == 400
        assert (await staff.get("/admin")).headers["location"].startswith("/admin/inloggen")  # not signed in
        assert await count(app.state.api.engine, "audit_event") == before + 1  # the refused sign-in, nothing else
        async with reading(app.state.api.engine) as reader:
            refused = await reader.fetch_one("SELECT action, subject_code FROM audit_event ORDER BY id DESC LIMIT 1")
        assert refused == {"action": "auth:session:refuse", "subject_code": "editor\\u0000\\u202e"}


def changed(path: list[Any], value: Any) -> dict[str, Any]:
    """The base document with the value at `path` replaced."""
    result = document()
    target = result
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return result


IMPORT_CASES = [
    ("NUL in a name", ["organisations", 0, "name"], "Praktijk\u0000Utrecht"),
    ("text-direction override in a surname", ["coaches", 0, "surname"], "Vries\u202egpj.exe"),
    ("isolate in a city", ["coaches", 0, "city"], "Utrecht\u2066"),
    ("C1 control in a certificate", ["qualifications", 0, "certificate"], "AB\u0085991"),
    ("newline in a single-line field", ["organisations", 0, "city"], "Utrecht\nZeist"),
    ("NUL in a reason", ["decisions", 1, "reason"], "Voldoet\u0000"),
    ("newline after an AGB code", ["coaches", 0, "agb_code"], "87654321\n"),
    ("newline after a KvK number", ["organisations", 0, "kvk_number"], "12345678\n"),
    ("a city of 100,000 characters", ["programmes", 0, "cities"], ["x" * 100_000]),
    ("a city with NUL", ["programmes", 0, "cities"], ["Utrecht\u0000"]),
    ("a list of 201 guidance types", ["trainings", 0, "guidance_types"], ["short"] * 201),
    ("a grant to the end of the calendar", ["decisions", 1, "valid_until"], "9999-12-31"),
    ("a grant from year 1", ["decisions", 2, "valid_from"], "0001-01-01"),
    ("a training completed in 1899", ["qualifications", 0, "completed_on"], "1899-12-31"),
]


@pytest.mark.parametrize("path, value", [case[1:] for case in IMPORT_CASES], ids=[case[0] for case in IMPORT_CASES])
async def test_an_import_with_a_hostile_value_names_the_field_and_writes_nothing(engine: Any, path: list[Any], value: Any) -> None:
    before = await snapshot(engine)
    with pytest.raises(ValidationFailed) as refused:
        await import_document(engine, encode(changed(path, value)), OPERATOR)
    field = f"{path[0]}[{path[1]}].{path[2]}"
    assert (field, "invalid") in [(error.field, error.code) for error in refused.value.errors]
    assert await snapshot(engine) == before


async def test_a_reason_keeps_its_lines_and_an_agb_code_with_a_newline_leaves_the_code_free(engine: Any) -> None:
    content = document()
    content["decisions"][1]["reason"] = "Voldoet.\nHerbeoordeling in 2028.\tZie dossier."
    await import_document(engine, encode(content), OPERATOR)
    second = {"registration_number": "C-000124", "initials": "A.", "surname": "Smit", "agb_code": "87654321\n"}
    before = await snapshot(engine)
    with pytest.raises(ValidationFailed) as refused:
        await import_document(engine, encode({"coaches": [second]}), OPERATOR)
    assert [error.field for error in refused.value.errors] == ["coaches[0].agb_code"]
    assert await snapshot(engine) == before


FORM_CASES = [
    ("coaches", {"initials": "J.", "surname": "Vries\x00", "city": "Zeist"}, REFUSED_CHARACTER),
    ("coaches", {"initials": "J.", "surname": "Vries", "internal_note": "Belt\u202e niet"}, REFUSED_CHARACTER),
    ("organisaties", {"name": "Rookvrij\tUtrecht", "city": "Utrecht"}, REFUSED_CHARACTER),
    ("programmas", {"name": "Samen", "organisation": "O-000012", "guidance_type": "intensive", "format": "group",
                    "cities": "x" * 100_000}, "een plaatsnaam mag hoogstens 100 tekens zijn"),
]


@pytest.mark.parametrize("slug, data, message", FORM_CASES)
async def test_a_staff_form_with_a_hostile_value_shows_a_field_error_and_writes_nothing(
        settings: Settings, slug: str, data: dict[str, str], message: str) -> None:
    async with staff_app(settings) as (app, editor):
        await import_document(app.state.api.engine, encode(document()), OPERATOR)
        await add_staff(app)
        await sign_in(editor, "editor")
        before = await snapshot(app.state.api.engine)
        page = await editor.get(f"/admin/{slug}/nieuw")
        response = await editor.post(f"/admin/{slug}/nieuw", data={"csrf_token": csrf_of(page.text), **data})
        assert response.status_code == 400, (slug, response.status_code)
        assert message in response.text
        assert await snapshot(app.state.api.engine) == before


async def test_account_and_client_names_with_control_characters_are_field_errors(engine: Any) -> None:
    before = await snapshot(engine)
    with pytest.raises(ValidationFailed) as refused:
        await create_client(engine, OPERATOR, "Zorgverzekeraar\x00Test")
    assert [error.field for error in refused.value.errors] == ["name"]
    with pytest.raises(ValidationFailed) as refused:
        await create_local_account(engine, OPERATOR, "marieke", "Marieke\u202e", "marieke@example.nl\x00", "editor", PASSWORD, PASSWORD)
    assert [error.field for error in refused.value.errors] == ["display_name", "email"]
    assert await snapshot(engine) == before


@pytest.mark.parametrize("asked", [{"tot": "31-12-9999"}, {"van": "01-01-0001"}, {"van": "1-1-1899", "tot": "31-12-2026"}])
async def test_an_audit_period_beyond_the_calendar_is_a_field_error_on_the_page_and_in_the_csv(
        settings: Settings, asked: dict[str, str]) -> None:
    async with staff_app(settings) as (app, viewer):
        await add_staff(app)
        await sign_in(viewer, "viewer")
        page = await viewer.get("/admin/audit", params=asked)
        assert page.status_code == 400 and REFUSED_DAY in page.text
        download = await viewer.get("/admin/audit.csv", params=asked)
        assert download.status_code == 400 and download.headers["content-type"].startswith("text/html")
        assert REFUSED_DAY in download.text
        # The widest period that is accepted is downloaded whole.
        whole = await viewer.get("/admin/audit.csv", params={"van": "01-01-1900", "tot": "31-12-2199"})
        assert whole.status_code == 200
        rows = list(csv.reader(io.StringIO(whole.content.decode("utf-8-sig"))))
        assert rows[0][0] == "event_id" and all(len(row) == len(rows[0]) for row in rows)
        assert len({row[0] for row in rows[1:]}) == await count(app.state.api.engine, "audit_event")
