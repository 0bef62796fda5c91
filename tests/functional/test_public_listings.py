"""Trainings and organisations searched in memory: the same rows, order, totals and pages as the database's own
`LIKE '% word%'` search, and every change found by the next search (API, list pages and /zoeken)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from registry.demo import build_demo_document
from registry.search_text import query_words
from registry.services.imports.plan import import_document
from registry.services.sql import reading
from registry.spelling import query_variants
from tests.functional.api_client import ApiSession
from tests.functional.helpers import OPERATOR, encode
from tests.functional.test_public_pages import HTML, main_text

# Names whose order differs between a binary and a linguistic collation (case, accents, punctuation), a name twice
# (then by code), a place with other names, and an organisation without a city.
EXTRA = {
    "organisations": [
        {"code": "O-900001", "name": "apotheek de Linde", "city": "Utrecht"},
        {"code": "O-900002", "name": "Émile Stopcentrum", "city": "'s-Hertogenbosch"},
        {"code": "O-900003", "name": "'t Rookvrije Huis", "city": "Den Haag"},
        {"code": "O-900004", "name": "Rookvrij Brabant", "city": "Den Bosch"},
        {"code": "O-900005", "name": "Rookvrij Brabant", "city": "Tilburg"},
        {"code": "O-900006", "name": "Stop_Centrum 100%"},
    ],
    "trainings": [
        {"code": "T-900001", "name": "basisopleiding stoppen", "organisation": "O-900001", "guidance_types": ["short"], "formats": ["individual"]},
        {"code": "T-900002", "name": "Émile's stopmethode", "organisation": "O-900002", "guidance_types": ["intensive"], "formats": ["group"]},
        {"code": "T-900003", "name": "Basisopleiding Stoppen", "organisation": "O-900003", "guidance_types": ["short", "intensive"],
         "formats": ["individual", "group"]},
    ],
}
QUERIES = [None, "", "stop", "STOPPEN", "Stoppen met roken", "roken stoppen", "rook vrij", "rookvrij brabant", "den bosch",
           "s hertogenbosch", "utrecht", "o-9000", "T-00000", "0000", "emile", "Émile", "linde apotheek", "de", "r", "zzz",
           "'t", "%", "_", "stop_centrum", "100%", "100", "a b c d e f g h i j", "Basisopleiding", "opleiding"]


@pytest.fixture
async def register(session: ApiSession) -> ApiSession:
    """A small demo register with the organisations and trainings above."""
    document = build_demo_document(300)
    for section, records in EXTRA.items():
        document[section].extend(records)
    await import_document(session.engine, encode(document), OPERATOR)
    await session.recorded()
    return session


# The database search the in-memory one replaces, as it was: a row matches when, for any spelling of the query,
# its search_text is LIKE '% word%' for every word; in the engine's own order.
LISTS = {
    "trainings": ("SELECT t.code FROM training t LEFT JOIN organisation o ON o.id = t.organisation", "t.search_text", "t.name, t.code"),
    "organisations": ("SELECT code FROM organisation", "search_text", "name, code"),
}


async def database_search(session: ApiSession, listing: str, q: str | None) -> list[str]:
    select, column, order = LISTS[listing]
    groups = [group for group in ([f"% {word}%" for word in query_words(variant)] for variant in query_variants(q)) if group]
    where = " WHERE " + " OR ".join("(" + " AND ".join([f"{column} LIKE ?"] * len(group)) + ")" for group in groups) if groups else ""
    async with reading(session.engine) as reader:
        rows = await reader.fetch_all(f"{select}{where} ORDER BY {order}", *[word for group in groups for word in group])
    return [row["code"] for row in rows]


async def listed(session: ApiSession, listing: str, q: str | None, page_size: int = 100) -> tuple[list[str], int]:
    """Every code the public API lists for a query, walking its pages, and the total it reports."""
    codes: list[str] = []
    page, total = 1, 0
    while True:
        params: dict[str, Any] = {"page": page, "page_size": page_size, **({"q": q} if q is not None else {})}
        response = await session.http.get(f"/api/v1/{listing}", params=params)
        assert response.status_code == 200, response.text
        answer = response.json()
        codes += [item["code"] for item in answer["items"]]
        total = answer["total"]
        if len(codes) >= total or not answer["items"]:
            return codes, total
        page += 1


@pytest.mark.parametrize("listing", ["trainings", "organisations"])
async def test_the_api_lists_what_the_database_search_found_in_its_order(register: ApiSession, listing: str) -> None:
    for q in QUERIES:
        expected = await database_search(register, listing, q)
        assert await listed(register, listing, q) == (expected, len(expected)), q
        # Pages of three walk the same list.
        assert await listed(register, listing, q, page_size=3) == (expected, len(expected)), q
    # The queries tell rows apart: some find none, some a few, some all.
    found = {len(await database_search(register, listing, q)) for q in QUERIES}
    assert 0 in found and len(found) >= 3


async def test_a_renamed_training_and_a_new_organisation_are_found_by_the_next_search(register: ApiSession) -> None:
    http = register.http
    change = {
        "organisations": [{"code": "O-900007", "name": "Stoplijn Zeeland", "city": "Middelburg"}],
        "trainings": [{"code": "T-900001", "name": "Vervolgopleiding rookstop", "organisation": "O-900007", "guidance_types": ["short"],
                       "formats": ["individual"]}],
    }
    assert (await http.get("/api/v1/trainings", params={"q": "vervolgopleiding"})).json()["total"] == 0
    await import_document(register.engine, encode(change), OPERATOR)
    await register.recorded()

    trainings = (await http.get("/api/v1/trainings", params={"q": "vervolgopleiding"})).json()["items"]
    assert [(item["code"], item["institute"]) for item in trainings] == [("T-900001", {"code": "O-900007", "name": "Stoplijn Zeeland"})]
    assert "T-900001" not in [item["code"] for item in (await http.get("/api/v1/trainings", params={"q": "basisopleiding"})).json()["items"]]
    assert [item["code"] for item in (await http.get("/api/v1/organisations", params={"q": "middelburg"})).json()["items"]] == ["O-900007"]
    assert "Vervolgopleiding rookstop" in main_text((await http.get("/opleidingen", params={"q": "rookstop"}, headers=HTML)).text)
    assert "Stoplijn Zeeland" in main_text((await http.get("/organisaties", params={"q": "zeeland"}, headers=HTML)).text)
    everything = main_text((await http.get("/zoeken", params={"q": "zeeland"}, headers=HTML)).text)
    assert "Stoplijn Zeeland" in everything
    everything = main_text((await http.get("/zoeken", params={"q": "vervolgopleiding"}, headers=HTML)).text)
    assert "Vervolgopleiding rookstop" in everything


async def test_requests_share_one_read_per_register_change(register: ApiSession) -> None:
    listings = register.api.listings
    before = await listings.current()
    assert await listings.current() is before  # nothing changed: nothing read again
    await import_document(register.engine, encode({"organisations": [{"code": "O-900008", "name": "Stoplijn Drenthe", "city": "Assen"}]}),
                          OPERATOR)
    await register.recorded()
    # Requests arriving together after a change all wait for the same one read, and then keep using it.
    after = await asyncio.gather(*(listings.current() for _ in range(20)))
    assert all(each is after[0] for each in after) and after[0] is not before
    assert after[0].version == register.api.index.snapshot.register_version > before.version
    assert await listings.current() is after[0]
    assert "O-900008" in [entry.summary.code for entry in after[0].organisations]
