"""Claims from a declaration line (provider AGB code instead of programme code) through HTTP and the command line."""

from __future__ import annotations

import json
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from registry.services.imports.plan import import_document
from registry.services.sql import reading
from tests.functional.api_client import ApiSession
from tests.functional.declaration_story import (
    ACCEPTED,
    COACH,
    COACH_AGB,
    DAY,
    EXAMPLES,
    LOCATION,
    PROVIDER,
    SHORT_QUALIFICATION,
    claim,
    story,
)
from tests.functional.helpers import OPERATOR, encode
from tests.functional.test_cli import registry
from tests.functional.test_public_pages import main_text


@pytest.fixture
async def loaded(session: ApiSession) -> dict[str, str]:
    """The worked example imported, and authorization headers of a client."""
    await import_document(session.engine, encode(story()), OPERATOR)
    await session.recorded()
    return await session.bearer()


async def stored_count(session: ApiSession) -> int:
    async with reading(session.engine) as reader:
        return (await reader.fetch_row("SELECT COUNT(*) AS n FROM verification"))["n"]


def codes(answer: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in answer["reasons"]]


async def test_worked_examples_hold_one_claim_at_a_time_and_in_a_batch(session: ApiSession, loaded: dict[str, str]) -> None:
    claims = [claim(extra) for _, extra, _, _, _ in EXAMPLES]
    batch = (await session.http.post("/api/v1/verifications/batch", json={"items": claims}, headers=loaded)).json()
    for (name, extra, accredited, reasons, matched), in_batch in zip(EXAMPLES, batch["results"], strict=True):
        response = await session.http.post("/api/v1/verifications", json=claim(extra), headers=loaded)
        assert response.status_code == 200, response.text
        single = response.json()
        for answer in (single, in_batch):
            assert answer["accredited"] is accredited, name
            assert codes(answer) == reasons, name
            assert (answer["programme"] or {}).get("code") == matched, name
    assert batch["summary"] == {"accredited": 0, "rejected": 4, "invalid": 0}

    await import_document(session.engine, encode(SHORT_QUALIFICATION), OPERATOR)
    await session.recorded()
    name, extra, accredited, reasons, matched = ACCEPTED
    answer = (await session.http.post("/api/v1/verifications", json=claim(extra), headers=loaded)).json()
    assert answer["accredited"] is True and answer["reasons"] == []
    assert answer["programme"]["code"] == "P-A" and answer["programme"]["status"] == "accredited"
    assert answer["coach"]["registration_number"] == COACH and answer["coach"]["qualified"] is True


async def test_the_answer_lists_every_candidate_with_why_and_the_receipt_names_provider_and_programme(
    session: ApiSession, loaded: dict[str, str]
) -> None:
    response = await session.http.post("/api/v1/verifications", json=claim({"reference": "decl-1"}), headers=loaded)
    answer = response.json()
    assert answer["provider"] == {"code": "O-DECL", "name": "Huisartsenpraktijk De Linde", "agb_code": PROVIDER}
    assert answer["candidates"] == [
        {"code": "P-A", "name": "Kort Rookvrij", "guidance_type": "short", "format": "individual", "fits": False,
         "reasons": [{"code": "COACH_NOT_QUALIFIED", "subject": "coach", "on": DAY}]},
        {"code": "P-B", "name": "Intensief Rookvrij", "guidance_type": "intensive", "format": "group", "fits": False,
         "reasons": [{"code": "PROGRAMME_SUSPENDED", "subject": "programme", "on": DAY}]},
    ]
    assert answer["programme"] is None and answer["coach"]["qualified"] is False
    jwks = KeySet.import_key_set((await session.http.get("/.well-known/jwks.json")).json())
    payload = json.loads(jws.deserialize_compact(answer["receipt"], jwks, algorithms=["ES256"]).payload)
    assert payload["provider"] == "O-DECL" and payload["programme"] is None
    assert payload["request"]["provider_agb_code"] == PROVIDER and payload["reasons"] == ["COACH_NOT_QUALIFIED"]
    # Read back as stored, byte for byte.
    stored = await session.http.get(f"/api/v1/verifications/{answer['verification_id']}", headers=loaded)
    assert stored.json() == answer

    # The location's code finds the same provider; the matched programme is in the receipt once one fits.
    await import_document(session.engine, encode(SHORT_QUALIFICATION), OPERATOR)
    await session.recorded()
    by_location = (await session.http.post("/api/v1/verifications", json=claim({"provider_agb_code": LOCATION}), headers=loaded)).json()
    assert by_location["accredited"] is True and by_location["provider"]["agb_code"] == LOCATION
    assert [candidate["fits"] for candidate in by_location["candidates"]] == [True, False]
    payload = json.loads(jws.deserialize_compact(by_location["receipt"], jwks, algorithms=["ES256"]).payload)
    assert payload["provider"] == "O-DECL" and payload["programme"] == "P-A"


async def test_a_claim_by_programme_code_keeps_its_shape(session: ApiSession, loaded: dict[str, str]) -> None:
    answer = (await session.http.post("/api/v1/verifications", json={"programme_code": "P-A", "coach_registration_number": COACH,
                                                                      "service_date": DAY}, headers=loaded)).json()
    assert "provider" not in answer and "candidates" not in answer
    assert codes(answer) == ["COACH_NOT_QUALIFIED"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"programme_code": "P-A", "provider_agb_code": PROVIDER}, {"programme_code"}),
        ({}, {"programme_code"}),
        ({"programme_code": "P-A", "guidance_type": "short"}, {"guidance_type"}),
        ({"provider_agb_code": "1234567"}, {"provider_agb_code"}),
        ({"provider_agb_code": "1234567X"}, {"provider_agb_code"}),
        ({"provider_agb_code": 12345678}, {"provider_agb_code"}),
        ({"provider_agb_code": PROVIDER, "guidance_type": "long"}, {"guidance_type"}),
    ],
)
async def test_bad_declaration_claims_are_refused_naming_the_field_and_store_nothing(
    session: ApiSession, loaded: dict[str, str], body: dict[str, Any], fields: set[str]
) -> None:
    request = {"coach_registration_number": COACH, "service_date": DAY, **body}
    response = await session.http.post("/api/v1/verifications", json=request, headers=loaded)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert {error["field"] for error in response.json()["errors"]} == fields
    batch = (await session.http.post("/api/v1/verifications/batch", json={"items": [request]}, headers=loaded)).json()
    assert {error["field"] for error in batch["results"][0]["error"]["errors"]} == fields
    assert await stored_count(session) == 0


async def test_the_index_follows_new_agb_codes_and_programmes(session: ApiSession, loaded: dict[str, str]) -> None:
    extra = {"organisations": [{"code": "O-DECL", "agb_codes": [PROVIDER, "55555555"]}],
             "programmes": [{"code": "P-0", "name": "Nul", "organisation": "O-DECL", "guidance_type": "short", "format": "group",
                             "sessions": 4, "contact_minutes": 60}],
             "decisions": [{"subject": "programme", "code": "P-0", "kind": "grant", "valid_from": "2025-01-01", "reference": "P-0-1"}]}
    await import_document(session.engine, encode(extra), OPERATOR)
    await session.recorded()
    answer = (await session.http.post("/api/v1/verifications", json=claim({"provider_agb_code": "55555555"}), headers=loaded)).json()
    assert [candidate["code"] for candidate in answer["candidates"]] == ["P-0", "P-A", "P-B"]
    gone = (await session.http.post("/api/v1/verifications", json=claim({"provider_agb_code": LOCATION}), headers=loaded)).json()
    assert codes(gone) == ["PROVIDER_UNKNOWN"] and gone["provider"] is None and gone["candidates"] == []


async def test_the_command_line_answers_the_worked_examples(database_url: str, engine: Any) -> None:
    await import_document(engine, encode(story()), OPERATOR)
    for name, extra, accredited, reasons, _ in EXAMPLES:
        line = claim(extra)
        args = ["verify", "--provider-agb", line["provider_agb_code"], "--coach-agb", line["coach_agb_code"], "--date", DAY, "--json"]
        if "guidance_type" in extra:
            args += ["--guidance-type", extra["guidance_type"]]
        done = registry(database_url, *args)
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        assert answer["accredited"] is accredited and codes(answer) == reasons, name
    await import_document(engine, encode(SHORT_QUALIFICATION), OPERATOR)
    done = registry(database_url, "verify", "--provider-agb", PROVIDER, "--coach", COACH, "--date", DAY)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"ACCREDITED: provider AGB {PROVIDER} (programme P-A), coach {COACH}"
    refused = registry(database_url, "verify", "--programme", "P-A", "--provider-agb", PROVIDER, "--coach", COACH, "--date", DAY)
    assert refused.returncode == 2 and "programme_code" in refused.stderr


HTML = {"Accept": "text/html"}
# What the check page says for each worked example, in Dutch.
PAGE_SENTENCES = {
    "qualified for neither free candidate": ["Nee: niet geaccrediteerd", "Een programma van zorgaanbieder Huisartsenpraktijk De Linde (AGB 12345678)",
                                              "Kort Rookvrij P-A (kortdurende begeleiding, individueel): ✕ past niet: Op 2 maart 2026 had de coach",
                                              "Intensief Rookvrij P-B (intensieve begeleiding, groep): ✕ past niet: Het programma was op 2 maart 2026 geschorst."],
    "only intensive: suspended": ["Geen van de programma's van deze zorgaanbieder was geaccrediteerd op elke dag van de zorg"],
    "unknown provider": ["Geen organisatie in het register heeft deze AGB-code.", "Een programma van zorgaanbieder AGB 99999999"],
    "provider without programmes": ["De zorgaanbieder met deze AGB-code heeft geen programma in het register"],
}


async def test_the_check_page_answers_the_worked_examples_in_plain_dutch(session: ApiSession, loaded: dict[str, str]) -> None:
    for name, extra, accredited, reasons, _ in EXAMPLES:
        asked = {"provider_agb_code": PROVIDER, "coach_agb_code": claim({})["coach_agb_code"], "service_date": "02-03-2026", **extra}
        response = await session.http.get("/controleren", params=asked, headers=HTML)
        assert response.status_code == 200, name
        page = main_text(response.text)
        for sentence in PAGE_SENTENCES[name]:
            assert sentence in page, (name, sentence, page)
        for code in reasons:
            assert code in page
        assert ("Ja: geaccrediteerd" if accredited else "Nee: niet geaccrediteerd") in page
    await import_document(session.engine, encode(SHORT_QUALIFICATION), OPERATOR)
    await session.recorded()
    page = main_text((await session.http.get("/controleren", params={"provider_agb_code": PROVIDER, "coach_registration_number": COACH,
                                                                     "service_date": "02-03-2026"}, headers=HTML)).text)
    assert "Ja: geaccrediteerd" in page and "✓ past bij deze declaratie." in page


@pytest.mark.parametrize(
    ("asked", "field", "message"),
    [
        ({"programme_code": "P-A", "provider_agb_code": PROVIDER}, "programme_code", "niet allebei"),
        ({"provider_agb_code": "1234"}, "provider_agb_code", "precies 8 cijfers"),
        ({"programme_code": "P-A", "guidance_type": "short"}, "guidance_type", "bij een programmacode hoort die niet"),
        ({"provider_agb_code": PROVIDER, "guidance_type": "lang"}, "guidance_type", "Kies kortdurende of intensieve begeleiding"),
    ],
)
async def test_the_check_page_names_each_bad_declaration_field(session: ApiSession, asked: dict[str, str], field: str, message: str) -> None:
    response = await session.http.get("/controleren", params={"coach_registration_number": COACH, "service_date": DAY, **asked}, headers=HTML)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text


async def test_the_public_api_and_pages_find_and_show_agb_codes(session: ApiSession, loaded: dict[str, str]) -> None:
    http = session.http
    found = (await http.get("/api/v1/organisations", params={"agb_code": LOCATION})).json()
    assert found["total"] == 1 and found["items"] == [{"code": "O-DECL", "name": "Huisartsenpraktijk De Linde", "city": "Utrecht",
                                                        "agb_codes": [PROVIDER, LOCATION]}]
    assert (await http.get("/api/v1/organisations", params={"agb_code": "99999999"})).json()["total"] == 0
    listed = (await http.get("/api/v1/organisations", params={"q": "linde"})).json()
    assert [item["code"] for item in listed["items"]] == ["O-DECL"]
    coach = (await http.get("/api/v1/coaches", params={"agb_code": COACH_AGB})).json()
    assert [item["registration_number"] for item in coach["items"]] == [COACH]
    assert (await http.get("/api/v1/coaches", params={"agb_code": "99999999"})).json()["total"] == 0
    for path, params in (("/api/v1/organisations", {"agb_code": "1234"}), ("/api/v1/coaches", {"agb_code": COACH_AGB, "q": "declarant"}),
                         ("/api/v1/organisations", {"agb_code": PROVIDER, "q": "linde"})):
        refused = await http.get(path, params=params)
        # Refused query parameters are 422 naming the parameter, as every public list answers them.
        assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json"), (path, params)
        assert "agb_code" in {error["field"] for error in refused.json()["errors"]}, (path, params)
    detail = (await http.get("/api/v1/organisations/O-DECL")).json()
    assert detail["agb_code"] == PROVIDER and detail["agb_codes"] == [PROVIDER, LOCATION]
    assert (await http.get(f"/api/v1/coaches/{COACH}")).json()["agb_code"] == COACH_AGB
    page = main_text((await http.get("/organisaties/O-DECL", headers=HTML)).text)
    assert f"AGB-codes {PROVIDER}, {LOCATION}" in page
    assert f"AGB-code {COACH_AGB}" in main_text((await http.get(f"/coaches/{COACH}", headers=HTML)).text)


async def test_an_agb_code_identifies_one_organisation(session: ApiSession, loaded: dict[str, str]) -> None:
    from registry.services.errors import ValidationFailed

    taken = {"organisations": [{"code": "O-NEW", "name": "Tweede praktijk", "agb_codes": ["77777777", LOCATION]}]}
    with pytest.raises(ValidationFailed) as refused:
        await import_document(session.engine, encode(taken), OPERATOR)
    [error] = refused.value.errors
    assert error.field == "organisations[0].agb_codes" and error.code == "agb_code_taken" and "O-DECL" in error.message
    twice = {"organisations": [{"code": "O-A", "name": "A", "agb_code": "66666666"}, {"code": "O-B", "name": "B", "agb_codes": ["66666666"]}]}
    with pytest.raises(ValidationFailed) as refused:
        await import_document(session.engine, encode(twice), OPERATOR)
    assert [error.field for error in refused.value.errors] == ["organisations[1].agb_codes"]
    # Moving the location to a new organisation in one file is fine, and the old one keeps its practice code.
    moved = {"organisations": [{"code": "O-DECL", "agb_codes": [PROVIDER]},
                               {"code": "O-NEW", "name": "Vestiging Oost", "agb_codes": [LOCATION]}]}
    await import_document(session.engine, encode(moved), OPERATOR)
    await session.recorded()
    answer = (await session.http.post("/api/v1/verifications", json=claim({"provider_agb_code": LOCATION}), headers=loaded)).json()
    assert answer["provider"]["code"] == "O-NEW" and codes(answer) == ["PROVIDER_NO_PROGRAMME"]
    # Re-importing the old one-code form changes nothing.
    report = await import_document(session.engine, encode({"organisations": [{"code": "O-DECL", "agb_code": PROVIDER}]}), OPERATOR)
    assert report.updated["organisations"] == 0
