"""Public pages through HTTP: Dutch by default, English on request, search, detail, check, errors, privacy."""

from __future__ import annotations

import re
from typing import Any

import pytest

from registry.demo import RECORDED_AT, build_demo_document
from registry.services.imports.plan import import_document
from tests.functional.api_client import ApiSession
from tests.functional.helpers import BASE_DOCUMENT, OPERATOR, encode

HTML = {"Accept": "text/html"}
PRIVATE = {"email": "geheim.adres@example.nl", "phone": "0612345678", "big_number": "19012345601", "internal_note": "Interne notitie: dossier 77"}


@pytest.fixture
async def register(session: ApiSession) -> ApiSession:
    """The base document's programme, coach and training."""
    await import_document(session.engine, encode(BASE_DOCUMENT), OPERATOR)
    await session.recorded()
    return session


def main_text(html: str) -> str:
    """The page's main content without tags, whitespace folded."""
    main = html.split('<main id="content"', 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


async def test_pages_are_dutch_by_default_and_english_on_request(register: ApiSession) -> None:
    http = register.http
    dutch = await http.get("/programmas/P-000045", headers=HTML)
    assert dutch.status_code == 200 and dutch.headers["content-language"] == "nl"
    assert '<html lang="nl">' in dutch.text and "Accept-Language" in dutch.headers["vary"]
    assert "Intensieve begeleiding" in dutch.text and "van 1 september 2025 tot en met 31 augustus 2028" in main_text(dutch.text)
    english = await http.get("/programmas/P-000045", headers={**HTML, "Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text and "Intensive guidance" in english.text
    assert "from 1 September 2025 up to and including 31 August 2028" in main_text(english.text)


async def test_language_switch_persists_and_only_returns_to_this_site(register: ApiSession) -> None:
    http = register.http
    switched = await http.get("/taal/en", params={"terug": "/coaches?q=vries"})
    assert switched.status_code == 303 and switched.headers["location"] == "/coaches?q=vries"
    assert "taal=en" in switched.headers["set-cookie"] and "Max-Age=31536000" in switched.headers["set-cookie"]
    later = await http.get("/coaches", params={"q": "vries"}, headers={**HTML, "Accept-Language": "nl"})
    assert '<html lang="en">' in later.text and "J. de Vries" in later.text  # the cookie beats the browser's language
    for hostile in ("//evil.example/x", "https://evil.example/", "\\\\evil.example", ""):
        away = await http.get("/taal/nl", params={"terug": hostile})
        assert away.headers["location"] == "/"
    await http.get("/taal/nl", params={"terug": "/"})
    assert '<html lang="nl">' in (await http.get("/", headers=HTML)).text


async def test_programme_search_filters_and_refuses_unknown_values(register: ApiSession) -> None:
    http = register.http
    found = main_text((await http.get("/programmas", params={"q": "rookvrij", "city": "zeist", "guidance_type": "intensive"}, headers=HTML)).text)
    assert "Samen Rookvrij" in found and "1 resultaat" in found
    none = main_text((await http.get("/programmas", params={"guidance_type": "short"}, headers=HTML)).text)
    assert "Samen Rookvrij" not in none and "Niets gevonden" in none
    refused = await http.get("/programmas", params={"format": "online"}, headers=HTML)
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.text and "Kies een van de mogelijkheden." in refused.text
    assert 'href="#format"' in refused.text  # the error summary links to the field


async def test_search_everything_finds_each_kind(register: ApiSession) -> None:
    page = main_text((await register.http.get("/zoeken", params={"q": "utrecht"}, headers=HTML)).text)
    assert "Samen Rookvrij" in page and "J. de Vries" in page and "Stoppen met Roken Praktijk Utrecht" in page
    long_query = await register.http.get("/zoeken", params={"q": "x" * 201}, headers=HTML)
    assert long_query.status_code == 400 and "Gebruik hoogstens 200 tekens." in long_query.text


async def test_detail_pages_show_status_in_words_validity_and_history(register: ApiSession) -> None:
    http = register.http
    coach = main_text((await http.get("/coaches/c-000123", headers=HTML)).text)
    assert "J. de Vries" in coach and "Stoppen-met-rokencoach" in coach and "afgerond op 17 mei 2024" in coach
    assert "Geschorst" in coach and "van 1 april 2026 tot en met 30 juni 2026" in coach and "Onderzoek" in coach
    training = main_text((await http.get("/opleidingen/T-000003", headers=HTML)).text)
    assert "Instituut voor Rookvrije Zorg" in training and "vanaf 1 januari 2020, zonder einddatum" in training
    organisation = main_text((await http.get("/organisaties/O-000012", headers=HTML)).text)
    assert "Samen Rookvrij" in organisation and "12345678" in organisation
    for path in ("/programmas/P-999999", "/coaches/NOPE", "/opleidingen/X", "/organisaties/Y"):
        missing = await http.get(path, headers=HTML)
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
        assert "Niet gevonden" in missing.text


async def test_unknown_paths_are_pages_for_browsers_and_problems_for_programs(register: ApiSession) -> None:
    page = await register.http.get("/bestaat-niet", headers=HTML)
    assert page.status_code == 404 and "Deze pagina bestaat niet" in page.text
    problem = await register.http.get("/api/v1/bestaat-niet", headers=HTML)
    assert problem.status_code == 404 and problem.headers["content-type"] == "application/problem+json"
    plain = await register.http.get("/bestaat-niet")
    assert plain.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("asked", "verdict", "sentences"),
    [
        ({"service_date": "2026-03-14"}, "Ja: geaccrediteerd", ["Programma P-000045 met coach C-000123 op 14 maart 2026."]),
        ({"service_date": "14-04-2026"}, "Nee: niet geaccrediteerd", ["De coach was op 14 april 2026 geschorst."]),
        ({"service_date": "2026-03-01", "service_end_date": "2026-05-01"}, "Nee: niet geaccrediteerd",
         ["De coach was op 1 april 2026 geschorst.", "van 1 maart 2026 tot en met 1 mei 2026"]),
        ({"service_date": "2025-08-01"}, "Nee: niet geaccrediteerd",
         ["De accreditatie van het programma was op 1 augustus 2025 nog niet begonnen."]),
    ],
)
async def test_check_page_gives_the_verdict_with_every_reason(register: ApiSession, asked: dict[str, str], verdict: str,
                                                              sentences: list[str]) -> None:
    response = await register.http.get("/controleren", params={"programme_code": "p-000045", "coach_registration_number": "C-000123", **asked},
                                       headers=HTML)
    page = main_text(response.text)
    assert response.status_code == 200 and verdict in page
    for sentence in sentences:
        assert sentence in page


async def test_check_page_by_agb_code_and_for_unknown_subjects(register: ApiSession) -> None:
    http = register.http
    by_agb = main_text((await http.get("/controleren", params={"programme_code": "P-000045", "coach_agb_code": "87654321",
                                                              "service_date": "2026-03-14"}, headers=HTML)).text)
    assert "Ja: geaccrediteerd" in by_agb
    unknown = main_text((await http.get("/controleren", params={"programme_code": "P-999999", "coach_registration_number": "C-999999",
                                                               "service_date": "2026-03-14"}, headers=HTML)).text)
    assert "Het programma staat niet in het register." in unknown and "De coach staat niet in het register." in unknown


@pytest.mark.parametrize(
    ("asked", "field", "message"),
    [
        ({"coach_registration_number": "C-000123", "service_date": "2026-03-14"}, "programme_code", "Vul de code van het programma in"),
        ({"programme_code": "P 45", "coach_registration_number": "C-000123", "service_date": "2026-03-14"}, "programme_code", "alleen uit letters"),
        ({"programme_code": "P-000045", "service_date": "2026-03-14"}, "coach_registration_number", "registratienummer of de AGB-code van de coach"),
        ({"programme_code": "P-000045", "coach_registration_number": "C-000123", "coach_agb_code": "87654321", "service_date": "2026-03-14"},
         "coach_registration_number", "niet allebei"),
        ({"programme_code": "P-000045", "coach_agb_code": "1234", "service_date": "2026-03-14"}, "coach_agb_code", "precies 8 cijfers"),
        ({"programme_code": "P-000045", "coach_registration_number": "C-000123", "service_date": "31-02-2026"}, "service_date", "bestaande datum"),
        ({"programme_code": "P-000045", "coach_registration_number": "C-000123", "service_date": "2026-03-14", "service_end_date": "2026-03-01"},
         "service_end_date", "niet vóór de eerste"),
        ({"programme_code": "P-000045", "coach_registration_number": "C-000123", "service_date": "2026-01-01", "service_end_date": "2027-01-02"},
         "service_end_date", "hoogstens 366 dagen"),
    ],
)
async def test_check_page_names_each_bad_field(register: ApiSession, asked: dict[str, str], field: str, message: str) -> None:
    response = await register.http.get("/controleren", params=asked, headers=HTML)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert "Ja: geaccrediteerd" not in response.text and "Nee: niet geaccrediteerd" not in response.text


async def test_text_is_escaped_everywhere(register: ApiSession) -> None:
    payload = '<script>alert("x")</script>'
    for path, params in (("/zoeken", {"q": payload}), ("/programmas", {"city": payload}),
                         ("/controleren", {"programme_code": payload, "service_date": payload})):
        body = (await register.http.get(path, params=params, headers=HTML)).text
        assert payload not in body and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body, path


async def test_no_private_field_on_any_public_page(session: ApiSession) -> None:
    document = build_demo_document(coaches=40)
    document["coaches"][0].update(PRIVATE)
    await import_document(session.engine, encode(document), OPERATOR, now=RECORDED_AT)
    await session.recorded()
    coach: dict[str, Any] = document["coaches"][0]
    number, surname = coach["registration_number"], coach["surname"]
    paths = [f"/coaches/{number}", f"/coaches?q={surname}", f"/zoeken?q={surname}", f"/zoeken?q={number}", "/coaches",
             f"/controleren?programme_code=P-000001&coach_registration_number={number}&service_date=2026-01-10"]
    paths += [f"/opleidingen/{q['training']}" for q in document["qualifications"] if q["coach"] == number]
    pages = []
    for path in paths:
        response = await session.http.get(path, headers=HTML)
        assert response.status_code == 200, path
        pages.append(response.text)
    assert number in pages[0]
    for value in PRIVATE.values():
        assert all(value not in page for page in pages), value
