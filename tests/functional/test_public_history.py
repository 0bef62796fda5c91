"""Decision history as the public reads it: void (retracted) decisions, lifted suspensions, the status in one sentence,
on the pages, in the public JSON, the change feed and open data; organisation contact fields and qualified coaches."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from registry.services.errors import ValidationFailed
from registry.services.imports.plan import import_document
from registry.services.public import open_data
from tests.functional.api_client import ApiSession
from tests.functional.helpers import BASE_DOCUMENT, OPERATOR, encode
from tests.functional.test_public_pages import HTML, main_text

SECRET_REASON = "wegens ernstig tuchtrechtelijk verwijt"
CONTACT = {"address": "Oudegracht 12", "postcode": "3511ab", "phone": "030 123 45 67", "website": "https://stoppen-utrecht.example.nl/"}


def history_document() -> dict[str, Any]:
    """The base register, plus: a revocation entered in error and withdrawn, a lifted suspension, an open one, a revoked training."""
    document = copy.deepcopy(BASE_DOCUMENT)
    document["organisations"][0].update(CONTACT)
    document["coaches"].append({"registration_number": "C-000200", "initials": "A.", "surname": "Bakker", "city": "Zeist"})
    document["trainings"].append({"code": "T-000004", "name": "Oude cursus", "organisation": "O-000020", "guidance_types": ["short"],
                                  "formats": ["individual"]})
    document["decisions"] += [
        {"subject": "programme", "code": "P-000045", "kind": "revoke", "effective": "2026-03-01", "reference": "SKZ-2026-0040",
         "reason": SECRET_REASON},
        {"subject": "programme", "code": "P-000045", "kind": "retract", "target": "SKZ-2026-0040", "reference": "SKZ-2026-0041",
         "reason": "Verkeerd programma"},
        {"subject": "coach", "code": "C-000123", "kind": "suspend", "from": "2026-10-01", "reference": "SKZ-2026-0002", "reason": "Klacht"},
        {"subject": "coach", "code": "C-000123", "kind": "lift", "date": "2026-10-20", "suspension": "SKZ-2026-0002",
         "reference": "SKZ-2026-0005"},
        {"subject": "coach", "code": "C-000200", "kind": "grant", "valid_from": "2025-01-01", "reference": "SKZ-2025-0001"},
        {"subject": "coach", "code": "C-000200", "kind": "suspend", "from": "2026-11-01", "reference": "SKZ-2026-0003", "reason": "Onderzoek"},
        {"subject": "training", "code": "T-000004", "kind": "grant", "valid_from": "2019-01-01", "reference": "SKZ-2019-0001"},
        {"subject": "training", "code": "T-000004", "kind": "revoke", "effective": "2025-07-01", "reference": "SKZ-2025-0070",
         "reason": "Niet meer gegeven"},
    ]
    return document


@pytest.fixture
async def register(session: ApiSession) -> ApiSession:
    """A register with void and lifted decisions."""
    await import_document(session.engine, encode(history_document()), OPERATOR)
    await session.recorded()
    return session


async def test_a_retracted_revocation_is_void_and_its_reason_is_nowhere_public(register: ApiSession) -> None:
    http = register.http
    page = await http.get("/programmas/P-000045", headers=HTML)
    text = main_text(page.text)
    assert SECRET_REASON not in page.text
    assert "Verkeerd programma" in text  # the withdrawal's own public explanation
    assert "Vervallen – ten onrechte vastgelegd" in text and "vervallen door besluit SKZ-2026-0041" in text
    assert 'class="void"' in page.text and "<s>" in page.text
    assert "Geaccrediteerd sinds 1 september 2025 (SKZ-2025-0031), tot en met 31 augustus 2028." in text
    english = main_text((await http.get("/programmas/P-000045", headers={**HTML, "Accept-Language": "en"})).text)
    assert "Void – entered in error" in english
    record = (await http.get("/api/v1/programmes/P-000045")).json()
    assert SECRET_REASON not in json.dumps(record)
    revocation = next(item for item in record["history"] if item["reference"] == "SKZ-2026-0040")
    assert revocation["void"] is True and revocation["retracted_by"] == "SKZ-2026-0041" and revocation["reason"] == ""
    assert all(item["void"] is False for item in record["history"] if item["reference"] != "SKZ-2026-0040")
    assert record["status"] == "accredited"
    assert record["status_basis"] == {"reference": "SKZ-2025-0031", "since": "2025-09-01", "until": "2028-08-31"}
    feed = (await http.get("/api/v1/changes", params={"limit": 100})).json()
    assert SECRET_REASON not in json.dumps(feed)
    assert any(change["decision"]["reference"] == "SKZ-2026-0040" and change["decision"]["void"] for change in feed["changes"])


async def test_a_lifted_suspension_shows_its_end_and_an_open_one_says_until_lifted(register: ApiSession) -> None:
    http = register.http
    lifted = main_text((await http.get("/coaches/C-000123", headers=HTML)).text)
    assert "van 1 oktober 2026, opgeheven per 20 oktober 2026 (SKZ-2026-0005)" in lifted
    assert "Geregistreerd sinds 1 juni 2024 (SKZ-2024-0100), zonder einddatum." in lifted
    suspension = next(item for item in (await http.get("/api/v1/coaches/C-000123")).json()["history"] if item["reference"] == "SKZ-2026-0002")
    assert suspension["lifted_on"] == "2026-10-20" and suspension["lifted_by"] == "SKZ-2026-0005" and suspension["reason"] == "Klacht"
    open_one = main_text((await http.get("/coaches/C-000200", headers=HTML)).text)
    assert "Geschorst sinds 1 november 2026 (SKZ-2026-0003), tot opheffing." in open_one
    assert "zonder einddatum" not in open_one.split("Besluiten")[0]  # no grant line contradicting the badge
    revoked = main_text((await http.get("/opleidingen/T-000004", headers=HTML)).text)
    assert "Ingetrokken per 1 juli 2025 (SKZ-2025-0070)." in revoked


async def test_open_data_marks_void_and_lifted_decisions(register: ApiSession, tmp_path: Path) -> None:
    await open_data.export(register.engine, tmp_path)
    document = json.loads((tmp_path / "registry.json").read_text())
    assert SECRET_REASON not in (tmp_path / "registry.json").read_text()
    by_reference = {item["reference"]: item for item in document["decisions"]}
    assert by_reference["SKZ-2026-0040"]["void"] is True and by_reference["SKZ-2026-0040"]["reason"] == ""
    assert by_reference["SKZ-2026-0002"]["lifted_on"] == "2026-10-20"
    assert by_reference["SKZ-2026-0003"]["lifted_on"] is None and by_reference["SKZ-2026-0003"]["void"] is False
    organisation = next(item for item in document["organisations"] if item["code"] == "O-000012")
    assert organisation["postcode"] == "3511 AB" and organisation["website"] == CONTACT["website"]


async def test_contact_fields_reach_organisation_and_programme_pages_and_the_api(register: ApiSession) -> None:
    http = register.http
    organisation = (await http.get("/api/v1/organisations/O-000012")).json()
    assert {key: organisation[key] for key in CONTACT} == {**CONTACT, "postcode": "3511 AB"}
    assert organisation["programmes"] == [{"code": "P-000045", "name": "Samen Rookvrij", "status": "accredited"}]
    page = await http.get("/organisaties/O-000012", headers=HTML)
    text = main_text(page.text)
    assert "Oudegracht 12" in text and "3511 AB Utrecht" in text and 'href="tel:0301234567"' in page.text
    assert "Samen Rookvrij" in text and "geaccrediteerd" in text
    programme = await http.get("/programmas/P-000045", headers=HTML)
    assert "Zo bereikt u de aanbieder" in main_text(programme.text) and f'href="{CONTACT["website"]}"' in programme.text
    provider = (await http.get("/api/v1/programmes/P-000045")).json()["provider"]
    assert provider["phone"] == CONTACT["phone"] and provider["address"] == CONTACT["address"]
    training = main_text((await http.get("/opleidingen/T-000003", headers=HTML)).text)
    assert "1 coach in het register" in training
    assert (await http.get("/api/v1/trainings/T-000003")).json()["qualified_coaches"] == 1


@pytest.mark.parametrize(("field", "value"), [("website", "javascript:alert(1)"), ("website", "ftp://example.nl"),
                                              ("postcode", "12345"), ("phone", "bel me")])
async def test_bad_contact_fields_are_refused_naming_the_field(session: ApiSession, field: str, value: str) -> None:
    document = copy.deepcopy(BASE_DOCUMENT)
    document["organisations"][0][field] = value
    with pytest.raises(ValidationFailed) as refused:
        await import_document(session.engine, encode(document), OPERATOR)
    assert [error.field for error in refused.value.errors] == [f"organisations[0].{field}"]
    assert (await session.http.get("/api/v1/organisations/O-000012")).status_code == 404
