"""Search that forgives a typo and knows other names of a place; one empty state with advice; the home page's example
city; detail pages rendered once per register state, language and day."""

from __future__ import annotations

import copy

import pytest

from registry.services.imports.plan import import_document
from tests.functional.api_client import ApiSession
from tests.functional.helpers import BASE_DOCUMENT, OPERATOR, encode
from tests.functional.test_public_pages import HTML, main_text


@pytest.fixture
async def register(session: ApiSession) -> ApiSession:
    """The base register, plus a programme and an organisation in 's-Hertogenbosch and a coach Bakker."""
    document = copy.deepcopy(BASE_DOCUMENT)
    document["organisations"].append({"code": "O-000030", "name": "Rookvrij Brabant", "city": "'s-Hertogenbosch"})
    document["programmes"].append({"code": "P-000046", "name": "Stoppen in Brabant", "organisation": "O-000030", "guidance_type": "short",
                                   "format": "individual", "modes": ["on_site"], "sessions": 4, "contact_minutes": 120,
                                   "cities": ["'s-Hertogenbosch"]})
    document["coaches"].append({"registration_number": "C-000200", "initials": "A.", "surname": "Bakker", "city": "'s-Hertogenbosch"})
    await import_document(session.engine, encode(document), OPERATOR)
    await session.recorded()
    return session


async def test_a_typo_suggests_and_finds_the_register_spelling(register: ApiSession) -> None:
    http = register.http
    page = await http.get("/zoeken", params={"q": "Utrect"}, headers=HTML)
    text = main_text(page.text)
    assert "Niets gevonden voor „Utrect”. Bedoelde u Utrecht" in text
    assert "Samen Rookvrij" in text and "J. de Vries" in text  # what "Utrecht" finds, shown at once
    assert 'href="/zoeken?q=Utrecht"' in page.text
    coaches = main_text((await http.get("/coaches", params={"q": "bakkr"}, headers=HTML)).text)
    assert "Bedoelde u Bakker" in coaches and "A. Bakker" in coaches
    api = (await http.get("/api/v1/programmes", params={"q": "utrect"})).json()
    assert api["total"] == 0 and api["suggestion"] == "Utrecht"
    assert (await http.get("/api/v1/coaches", params={"q": "vries"})).json()["suggestion"] is None


async def test_another_name_of_a_place_finds_it(register: ApiSession) -> None:
    http = register.http
    page = main_text((await http.get("/zoeken", params={"q": "den bosch"}, headers=HTML)).text)
    assert "Stoppen in Brabant" in page and "A. Bakker" in page and "Rookvrij Brabant" in page
    listed = (await http.get("/api/v1/programmes", params={"city": "Den Bosch"})).json()
    assert [item["code"] for item in listed["items"]] == ["P-000046"]
    assert (await http.get("/api/v1/coaches", params={"q": "bakker den bosch"})).json()["total"] == 1


async def test_nothing_found_says_so_once_with_advice(register: ApiSession) -> None:
    page = await register.http.get("/zoeken", params={"q": "qqqzzz"}, headers=HTML)
    text = main_text(page.text)
    assert text.count("Niets gevonden") == 1 and "Controleer de spelling" in text and 'href="/programmas"' in page.text
    assert "Bedoelde u" not in text


async def test_home_hint_names_a_city_with_programmes_and_search_marks_no_menu_item(register: ApiSession) -> None:
    http = register.http
    home = (await http.get("/", headers=HTML)).text
    assert "bijvoorbeeld „Utrecht”" in home or "bijvoorbeeld „Zeist”" in home or "bijvoorbeeld „&#39;s-Hertogenbosch”" in home
    search = (await http.get("/zoeken", params={"q": "utrecht"}, headers=HTML)).text
    assert 'aria-current="page"' not in search


async def test_detail_pages_are_rendered_once_per_register_state(register: ApiSession) -> None:
    http, cache = register.http, register.api.page_cache
    first = await http.get("/programmas/P-000045", headers=HTML)
    hits = cache.hits
    again = await http.get("/programmas/P-000045", headers=HTML)
    assert again.text == first.text and cache.hits == hits + 1
    english = await http.get("/programmas/P-000045", headers={**HTML, "Accept-Language": "en"})
    assert english.headers["content-language"] == "en" and "Intensive guidance" in english.text
    document = {"decisions": [{"subject": "programme", "code": "P-000045", "kind": "suspend", "from": "2026-01-01",
                               "reference": "SKZ-2026-0900", "reason": "Onderzoek"}]}
    await import_document(register.engine, encode(document), OPERATOR)
    # As an instance does after its own write (another instance's arrives by LISTEN or the data_version watch).
    await register.recorded()
    changed = main_text((await http.get("/programmas/P-000045", headers=HTML)).text)
    assert "Geschorst sinds 1 januari 2026 (SKZ-2026-0900), tot opheffing." in changed
