"""Public read API through HTTP: details with status and history, ETags, the change feed, only public fields."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from typing import Any

import pytest

from registry.demo import RECORDED_AT, build_demo_document
from registry.services.imports.plan import import_document
from tests.functional.api_client import ApiSession
from tests.functional.conftest import open_session
from tests.functional.helpers import OPERATOR, encode, fresh_rate_window

PRIVATE = {"email": "geheim.adres@example.nl", "phone": "0612345678", "big_number": "19012345601", "internal_note": "Interne notitie: dossier 77"}


@pytest.fixture
async def demo(session: ApiSession) -> dict[str, Any]:
    """Demo data with one coach carrying every private field."""
    document = build_demo_document(coaches=60)
    document["coaches"][0].update(PRIVATE)
    await import_document(session.engine, encode(document), OPERATOR, now=RECORDED_AT)
    return document


async def test_programme_detail_has_design_status_and_history(session: ApiSession, demo: dict[str, Any]) -> None:
    response = await session.http.get("/api/v1/programmes/p-000001")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "P-000001" and body["guidance_type"] == "intensive" and body["format"] == "group"
    assert body["provider"]["code"].startswith("O-") and body["sessions"] == 8 and body["cities"]
    assert body["status"] in {"accredited", "expired", "revoked", "suspended", "not_yet_accredited", "not_accredited"}
    assert body["history"][0]["kind"] == "grant" and "valid_from" in body["history"][0]
    assert "recorded_by" not in json.dumps(body)


async def test_coach_and_training_and_organisation_details(session: ApiSession, demo: dict[str, Any]) -> None:
    coach = (await session.http.get("/api/v1/coaches/C-000001")).json()
    assert coach["name"] == "J. de Vries" and coach["qualifications"][0]["training"]["code"].startswith("T-")
    training = (await session.http.get("/api/v1/trainings/T-000001")).json()
    assert training["guidance_types"] and training["history"]
    organisation_code = (await session.http.get("/api/v1/programmes/P-000001")).json()["provider"]["code"]
    organisation = (await session.http.get(f"/api/v1/organisations/{organisation_code}")).json()
    assert "P-000001" in [programme["code"] for programme in organisation["programmes"]]
    for path in ("/api/v1/programmes/P-999999", "/api/v1/coaches/NOPE", "/api/v1/trainings/X", "/api/v1/organisations/Y"):
        missing = await session.http.get(path)
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")


async def test_no_private_field_in_any_public_answer(session: ApiSession, demo: dict[str, Any]) -> None:
    number = demo["coaches"][0]["registration_number"]
    bodies = [(await session.http.get(f"/api/v1/coaches/{number}")).text]
    cursor = ""
    while True:
        page = (await session.http.get("/api/v1/changes", params={"after": cursor, "limit": 500})).json()
        bodies.append(json.dumps(page))
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    everything = "\n".join(bodies)
    for value in PRIVATE.values():
        assert value not in everything


async def test_etag_gives_304(session: ApiSession, demo: dict[str, Any]) -> None:
    first = await session.http.get("/api/v1/programmes/P-000001")
    etag = first.headers["etag"]
    again = await session.http.get("/api/v1/programmes/P-000001", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = await session.http.get("/api/v1/programmes/P-000001", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


async def test_change_feed_rebuilds_every_subjects_history(session: ApiSession, demo: dict[str, Any]) -> None:
    rebuilt: dict[tuple[str, str], list[dict[str, Any]]] = {}
    cursor, pages = None, 0
    while True:
        params = {"limit": 17} | ({"after": cursor} if cursor else {})
        page = (await session.http.get("/api/v1/changes", params=params)).json()
        pages += 1
        for change in page["changes"]:
            rebuilt.setdefault((change["subject"]["kind"], change["subject"]["code"]), []).append(change["decision"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert pages > 3 and sum(len(history) for history in rebuilt.values()) == len(demo["decisions"])
    paths = {"programme": "programmes", "coach": "coaches", "training": "trainings"}
    for (kind, code), history in rebuilt.items():
        detail = (await session.http.get(f"/api/v1/{paths[kind]}/{code}")).json()
        assert detail["history"] == history, (kind, code)
    # Following from the end gives nothing new until a decision is recorded.
    tail = (await session.http.get("/api/v1/changes", params={"after": cursor})).json()
    assert tail["changes"] == [] and tail["next_cursor"] == cursor


@pytest.mark.parametrize("params", [{"after": "not-a-cursor"}, {"after": "0" * 64}, {"limit": 0}, {"limit": 1001}, {"limit": "ten"}])
async def test_change_feed_refuses_bad_parameters_naming_them(session: ApiSession, params: dict[str, Any]) -> None:
    response = await session.http.get("/api/v1/changes", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in response.json()["errors"]] == list(params)


async def test_every_cursor_the_document_allows_is_a_position(session: ApiSession, demo: dict[str, Any]) -> None:
    pattern = re.compile(next(parameter["schema"]["pattern"] for parameter in
                              (await session.http.get("/schema/openapi.json")).json()["paths"]["/api/v1/changes"]["get"]["parameters"]
                              if parameter["name"] == "after"))
    assert not pattern.fullmatch("0" * 64)  # the schema refuses what the feed refuses
    # A position past any decision a database can hold (45 digits) is the end of the feed, not a fault.
    beyond = base64.urlsafe_b64encode(b"d1:" + b"9" * 45).decode().rstrip("=")
    assert pattern.fullmatch(beyond) and len(beyond) <= 64
    response = await session.http.get("/api/v1/changes", params={"after": beyond})
    assert response.status_code == 200 and response.json()["changes"] == [] and not response.json()["has_more"]
    for start in ("", None):
        first = (await session.http.get("/api/v1/changes", params={"limit": 1} | ({"after": start} if start is not None else {}))).json()
        assert pattern.fullmatch(first["changes"][0]["cursor"]) and pattern.fullmatch(first["next_cursor"])


async def test_public_rate_limit_per_address(settings) -> None:
    await fresh_rate_window()
    async with open_session(replace(settings, public_rate_limit_per_minute=2)) as limited:
        statuses = [(await limited.http.get("/api/v1/changes")).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
