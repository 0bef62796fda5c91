"""Open data through HTTP: one consistent snapshot, licence and generation time, only public fields."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from registry.demo import RECORDED_AT, build_demo_document
from registry.services.imports.plan import import_document
from tests.functional.api_client import ApiSession
from tests.functional.helpers import OPERATOR, encode
from tests.functional.test_public_api import PRIVATE


@pytest.fixture
async def demo(session: ApiSession) -> dict[str, Any]:
    document = build_demo_document(coaches=60)
    document["coaches"][0].update(PRIVATE)
    await import_document(session.engine, encode(document), OPERATOR, now=RECORDED_AT)
    await session.recorded()
    return document


async def test_registry_json_is_complete_and_agrees_with_the_api(session: ApiSession, demo: dict[str, Any]) -> None:
    response = await session.http.get("/open-data/registry.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert data["licence"].startswith("CC0") and data["generated_at"].endswith("Z")
    assert data["data_version"] == len(demo["decisions"]) == len(data["decisions"])
    for section in ("organisations", "trainings", "programmes", "coaches", "qualifications"):
        assert len(data[section]) == len(demo[section]), section
    for programme in data["programmes"][:10]:
        detail = (await session.http.get(f"/api/v1/programmes/{programme['code']}")).json()
        assert (programme["status"], programme["accreditation"]) == (detail["status"], detail["accreditation"])
    for value in PRIVATE.values():
        assert value not in response.text


@pytest.mark.parametrize("kind, key", [("programmes", "code"), ("coaches", "registration_number"), ("trainings", "code")])
async def test_csv_per_subject_kind(session: ApiSession, demo: dict[str, Any], kind: str, key: str) -> None:
    response = await session.http.get(f"/open-data/{kind}.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    licence, _, table = response.text.partition("\n")
    assert licence.startswith("# CC0") and "generated" in licence and "data version" in licence
    rows = list(csv.DictReader(io.StringIO(table)))
    assert len(rows) == len(demo[kind]) and rows[0][key] and rows[0]["status"]
    for value in PRIVATE.values():
        assert value not in response.text


async def test_files_follow_the_register_and_support_etags(session: ApiSession, demo: dict[str, Any]) -> None:
    first = await session.http.get("/open-data/coaches.csv")
    etag = first.headers["etag"]
    assert (await session.http.get("/open-data/coaches.csv", headers={"If-None-Match": etag})).status_code == 304
    grant = {"subject": "coach", "code": demo["coaches"][1]["registration_number"], "kind": "suspend", "from": "2026-01-01",
             "reference": "OD-1", "reason": "Onderzoek"}
    await import_document(session.engine, encode({"decisions": [grant]}), OPERATOR)
    await session.recorded()
    after = await session.http.get("/open-data/registry.json")
    assert after.json()["data_version"] == json.loads(first.headers.get("x-data-version", "0")) + 1
    assert (await session.http.get("/open-data/coaches.csv", headers={"If-None-Match": etag})).status_code == 200


async def test_unknown_open_data_file_is_404(session: ApiSession) -> None:
    assert (await session.http.get("/open-data/staff.csv")).status_code == 404
