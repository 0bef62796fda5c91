"""Public search through HTTP: accent- and case-insensitive word prefixes, filters, pagination."""

from __future__ import annotations

from typing import Any

import pytest

from registry.services.imports.plan import import_document
from tests.functional.api_client import ApiSession
from tests.functional.helpers import OPERATOR, encode

DOCUMENT = {
    "organisations": [{"code": "O-1", "name": "Rookvrij Friesland", "city": "Leeuwarden"}],
    "trainings": [{"code": "T-1", "name": "Coachopleiding Stoppen met Roken", "organisation": "O-1", "guidance_types": ["intensive"], "formats": ["group"]}],
    "programmes": [
        {"code": "P-1", "name": "Samen Stoppen", "organisation": "O-1", "guidance_type": "intensive", "format": "group",
         "modes": ["on_site", "video"], "sessions": 8, "contact_minutes": 300, "cities": ["Leeuwarden", "Sneek"]},
        {"code": "P-2", "name": "Kort Stopadvies", "organisation": "O-1", "guidance_type": "short", "format": "individual",
         "modes": ["phone"], "sessions": 4, "contact_minutes": 40, "cities": ["'s-Hertogenbosch"]},
        {"code": "P-3", "name": "Stoppen in de Groep", "organisation": "O-1", "guidance_type": "intensive", "format": "group",
         "modes": ["on_site"], "sessions": 8, "contact_minutes": 300, "cities": ["Zwolle"]},
    ],
    "coaches": [
        {"registration_number": "C-000123", "initials": "J.", "prefix": "van", "surname": "Dijk", "city": "Leeuwarden"},
        {"registration_number": "C-000124", "initials": "É.", "surname": "Çelik", "city": "Den Haag"},
        {"registration_number": "C-000200", "initials": "M.", "prefix": "de", "surname": "Dijkstra", "city": "Utrecht"},
    ],
    "decisions": [
        {"subject": "programme", "code": "P-1", "kind": "grant", "valid_from": "2025-01-01", "reference": "P1-G"},
        {"subject": "programme", "code": "P-2", "kind": "grant", "valid_from": "2025-01-01", "reference": "P2-G"},
        {"subject": "programme", "code": "P-2", "kind": "suspend", "from": "2025-06-01", "reference": "P2-S", "reason": "Onderzoek"},
        {"subject": "coach", "code": "C-000123", "kind": "grant", "valid_from": "2025-01-01", "reference": "C1-G"},
        {"subject": "training", "code": "T-1", "kind": "grant", "valid_from": "2020-01-01", "reference": "T1-G"},
    ],
}


@pytest.fixture
async def registry_data(session: ApiSession) -> None:
    await import_document(session.engine, encode(DOCUMENT), OPERATOR)
    await session.recorded()


async def found(session: ApiSession, path: str, key: str = "code", **params: Any) -> list[str]:
    response = await session.http.get(path, params=params)
    assert response.status_code == 200, response.text
    return [item[key] for item in response.json()["items"]]


@pytest.mark.parametrize(
    "q, expected",
    [("Dijk", ["C-000123", "C-000200"]), ("van dijk", ["C-000123"]), ("DIJKS", ["C-000200"]), ("celik", ["C-000124"]),
     ("Çelik", ["C-000124"]), ("c-0001", ["C-000123", "C-000124"]), ("C-000200", ["C-000200"]), ("ijk", [])],
)
async def test_coach_search_by_name_and_number(session: ApiSession, registry_data: None, q: str, expected: list[str]) -> None:
    assert sorted(await found(session, "/api/v1/coaches", "registration_number", q=q)) == expected


async def test_coach_search_by_city_and_status(session: ApiSession, registry_data: None) -> None:
    assert await found(session, "/api/v1/coaches", "registration_number", city="den haag") == ["C-000124"]
    assert await found(session, "/api/v1/coaches", "registration_number", status="accredited") == ["C-000123"]


async def test_search_follows_each_change_at_once_whether_a_decision_or_a_new_name(session: ApiSession, registry_data: None) -> None:
    async def change(document: dict[str, Any]) -> None:
        await import_document(session.engine, encode(document), OPERATOR)
        await session.recorded()

    # A decision changes no word or order: search re-points at the new entries, and answers with the new status.
    await change({"decisions": [{"subject": "coach", "code": "C-000123", "kind": "suspend", "from": "2025-02-01", "reference": "C1-S"},
                                {"subject": "programme", "code": "P-3", "kind": "grant", "valid_from": "2025-01-01", "reference": "P3-G"}]})
    assert await found(session, "/api/v1/coaches", "registration_number", status="suspended", q="dijk") == ["C-000123"]
    assert await found(session, "/api/v1/coaches", "registration_number", status="accredited") == []
    assert await found(session, "/api/v1/programmes", status="accredited", city="Zwolle") == ["P-3"]
    # A new surname and a new city change the words: search is rebuilt, and finds the coach by them only.
    await change({"coaches": [{"registration_number": "C-000123", "initials": "J.", "prefix": "van", "surname": "Dam", "city": "Sneek"}]})
    assert await found(session, "/api/v1/coaches", "registration_number", q="dam", city="sneek", status="suspended") == ["C-000123"]
    assert await found(session, "/api/v1/coaches", "registration_number", q="dijk") == ["C-000200"]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"q": "leeuwarden"}, ["P-1"]),
        ({"q": "stop"}, ["P-2", "P-1", "P-3"]),
        ({"city": "Leeuwarden"}, ["P-1"]),
        ({"city": "s-Hertogenbosch"}, ["P-2"]),
        ({"guidance_type": "intensive", "format": "group"}, ["P-1", "P-3"]),
        ({"mode": "video"}, ["P-1"]),
        ({"status": "suspended"}, ["P-2"]),
        ({"status": "not_accredited"}, ["P-3"]),
        ({"q": "stoppen", "mode": "on_site", "status": "accredited"}, ["P-1"]),
    ],
)
async def test_programme_search_filters(session: ApiSession, registry_data: None, params: dict[str, str], expected: list[str]) -> None:
    assert await found(session, "/api/v1/programmes", **params) == expected


async def test_programme_list_items_carry_status_and_grant(session: ApiSession, registry_data: None) -> None:
    body = (await session.http.get("/api/v1/programmes", params={"q": "samen"})).json()
    [item] = body["items"]
    assert item["status"] == "accredited" and item["accreditation"]["reference"] == "P1-G"
    assert item["provider"] == {"code": "O-1", "name": "Rookvrij Friesland"} and item["cities"] == ["Leeuwarden", "Sneek"]


async def test_pagination_links_walk_every_result_once(session: ApiSession, registry_data: None) -> None:
    seen, url = [], "/api/v1/programmes?page_size=2"
    while url:
        body = (await session.http.get(url)).json()
        assert body["total"] == 3 and body["page_size"] == 2
        seen.extend(item["code"] for item in body["items"])
        url = body["links"].get("next")
    assert sorted(seen) == ["P-1", "P-2", "P-3"]
    beyond = (await session.http.get("/api/v1/programmes", params={"page": 9, "page_size": 2})).json()
    assert beyond["items"] == [] and "next" not in beyond["links"]


async def test_trainings_list(session: ApiSession, registry_data: None) -> None:
    assert await found(session, "/api/v1/trainings", q="roken") == ["T-1"]
    assert await found(session, "/api/v1/trainings") == ["T-1"]


@pytest.mark.parametrize("params", [{"status": "sleeping"}, {"page": 0}, {"page_size": 101}, {"mode": "letter"}, {"page": "two"},
                                    {"status": "sleeping", "page_size": 0, "guidance_type": "long"}])
async def test_bad_filters_are_422_naming_each_parameter(session: ApiSession, params: dict[str, Any]) -> None:
    response = await session.http.get("/api/v1/programmes", params=params)
    assert response.status_code == 422 and response.headers["content-type"].startswith("application/problem+json")
    assert sorted(error["field"] for error in response.json()["errors"]) == sorted(params)
