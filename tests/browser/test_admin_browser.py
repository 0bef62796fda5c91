"""Staff sign-in in Chromium through a real OpenID Provider, the dashboard, sign-out, and the back button."""

from __future__ import annotations

import json
import urllib.request
from typing import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from tests.browser.conftest import DESKTOP, SCREENSHOTS, follow, launched_chromium
from tests.conftest import fresh_database
from tests.support.oidc_provider import Provider, running_provider
from tests.support.server import RunningRegistry, free_port, running_registry

BERT_PASSWORD = "bert's own long passphrase"
ANNA = {"anna": {"email": "anna@stichting-smr.example", "name": "Anna de Boer", "roles": ["smr-editors"]}}


@pytest.fixture(scope="module")
def staff_registry(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A server that signs staff in through a real OpenID Provider."""
    port = free_port()
    directory = tmp_path_factory.mktemp("admin-browser")
    with running_provider([f"http://127.0.0.1:{port}/admin/oidc/callback"], ANNA) as provider, \
            fresh_database(database_template, directory) as url, \
            running_registry(url, directory / "data", demo_coaches=40, port=port, **oidc_environment(provider)) as server:
        # A second editor with a local account, to approve what Anna proposes (four eyes).
        server.command("create-user", "bert", "--role", "editor", "--display-name", "Bert Jansen", "--password-stdin", stdin=BERT_PASSWORD)
        yield server


def oidc_environment(provider: Provider) -> dict[str, str]:
    return {"REGISTRY_OIDC_ISSUER": provider.issuer, "REGISTRY_OIDC_CLIENT_ID": provider.client_id,
            "REGISTRY_OIDC_CLIENT_SECRET": provider.client_secret, "REGISTRY_OIDC_ROLE_MAP": "smr-editors=editor"}


@pytest.fixture(scope="module")
def browser(staff_registry: RunningRegistry) -> Iterator[Browser]:
    """Chromium for this module, started after the server (see tests/browser/conftest.py)."""
    with launched_chromium() as launched:
        yield launched


def sign_in_through_the_provider(page) -> None:
    """From the registry's sign-in page through the provider's own sign-in and consent pages, as Anna."""
    follow(page, page.get_by_role("link", name="Inloggen met het account van uw organisatie"))
    page.locator("input[name=login]").fill("anna")
    page.locator("input[name=password]").fill("any password")
    follow(page, page.locator("button[type=submit]").first)  # the provider's sign-in page
    follow(page, page.locator("button[type=submit]").first)  # its consent page, then back to the registry
    expect(page.get_by_role("heading", level=1)).to_have_text("Overzicht")


def test_sign_in_with_the_provider_see_the_dashboard_sign_out_and_back_shows_nothing(browser: Browser, staff_registry: RunningRegistry) -> None:
    context = browser.new_context(base_url=staff_registry.base_url, viewport=DESKTOP, locale="nl-NL")
    page = context.new_page()
    page.goto("/admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen voor medewerkers")
    assert Axe().run(page).violations_count == 0
    page.screenshot(path=str(SCREENSHOTS / "admin-sign-in-desktop.png"), full_page=True)
    sign_in_through_the_provider(page)
    expect(page.get_by_text("Anna de Boer (redacteur)")).to_be_visible()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.screenshot(path=str(SCREENSHOTS / "admin-dashboard-desktop.png"), full_page=True)
    follow(page, page.get_by_role("button", name="Uitloggen"))
    page.screenshot(path=str(SCREENSHOTS / "admin-signed-out-desktop.png"), full_page=True)
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen voor medewerkers")
    assert "Anna de Boer" not in page.content()
    context.close()




def check_accessible(page, name: str) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.screenshot(path=str(SCREENSHOTS / f"admin-{name}-desktop.png"), full_page=True)


def decide(page, summary: str, button: str, fields: dict[str, str]) -> None:
    """Open one decision form on the record page, fill it in and press its button."""
    page.locator("summary", has_text=summary).click()
    for selector, value in fields.items():
        if page.locator(selector).evaluate("element => element.tagName") == "SELECT":
            page.locator(selector).select_option(value)
        else:
            page.locator(selector).fill(value)
    follow(page, page.locator("details[open]").get_by_role("button", name=button))


def sign_in_locally(page, username: str, password: str) -> None:
    """The sign-in form for local accounts."""
    page.goto("/admin/inloggen")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    follow(page, page.get_by_role("button", name="Inloggen", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Overzicht")


def approve(approver, number: str, name: str) -> None:
    """A second editor opens the proposal's check page and approves it."""
    approver.goto(f"/admin/voorstellen/{number}")
    check_accessible(approver, f"proposal-{name}")
    follow(approver, approver.get_by_role("button", name="Voorstel goedkeuren"))
    expect(approver.get_by_role("status")).to_contain_text("vastgelegd")


def test_staff_create_a_coach_and_record_every_kind_of_decision_and_the_public_page_follows(
        browser: Browser, staff_registry: RunningRegistry) -> None:
    context = browser.new_context(base_url=staff_registry.base_url, viewport=DESKTOP, locale="nl-NL")
    page = context.new_page()
    public = context.new_page()
    page.goto("/admin/inloggen")
    sign_in_through_the_provider(page)
    follow(page, page.get_by_role("navigation", name="Medewerkers").get_by_role("link", name="Coaches"))
    check_accessible(page, "coaches")
    follow(page, page.get_by_role("link", name="Toevoegen: coach"))
    check_accessible(page, "coach-new")
    follow(page, page.get_by_role("button", name="Opslaan"))  # empty: field errors, nothing saved
    expect(page.locator("#surname-error")).to_contain_text("mag niet leeg zijn")
    check_accessible(page, "coach-new-errors")
    page.locator("#initials").fill("M.")
    page.locator("#prefix").fill("van der")
    page.locator("#surname").fill("Steen")
    page.locator("#city").fill("Deventer")
    page.locator("#email").fill("m.vandersteen@example.nl")
    follow(page, page.get_by_role("button", name="Opslaan"))
    expect(page.get_by_role("heading", level=1)).to_have_text("M. van der Steen")
    code = page.locator(".kicker .code").inner_text()
    check_accessible(page, "coach")

    def public_status() -> str:
        public.goto(f"/coaches/{code}")
        return public.locator(".standing .badge").inner_text()

    assert "niet geregistreerd" in public_status()
    assert "m.vandersteen@example.nl" not in public.content()

    decide(page, "Registratie toegekend", "Verlening vastleggen", {"#grant-valid_from": "01-01-2025", "#grant-reference": "SKZ-2025-0900",
                                                                   "#grant-reason": "Opleiding afgerond"})
    expect(page.get_by_role("status")).to_contain_text("Verlening SKZ-2025-0900 vastgelegd.")
    assert public_status().endswith("geregistreerd") and "niet" not in public_status()

    # Four eyes: Anna proposes, nothing changes for the public or the API, Bert approves.
    second = browser.new_context(base_url=staff_registry.base_url, viewport=DESKTOP, locale="nl-NL")
    approver = second.new_page()
    sign_in_locally(approver, "bert", BERT_PASSWORD)

    def api_status() -> str:
        return json.loads(urllib.request.urlopen(f"{staff_registry.base_url}/api/v1/coaches/{code}", timeout=30).read())["status"]

    decide(page, "Geschorst", "Schorsing voorstellen", {"#suspend-from": "01-01-2025", "#suspend-reference": "SKZ-2025-0901",
                                                        "#suspend-reason": "Onderzoek naar een klacht.",
                                                        "#suspend-internal_note": "Klacht van cliënt, dossier 17"})
    expect(page.get_by_role("status")).to_contain_text("Het telt pas als een andere medewerker het goedkeurt")
    number = page.url.rsplit("/", 1)[1].split("?")[0]
    expect(page.get_by_text("U heeft dit besluit zelf voorgesteld")).to_be_visible()
    assert page.get_by_role("button", name="Voorstel goedkeuren").count() == 0  # Anna cannot approve her own
    check_accessible(page, "proposal-waiting")
    assert api_status() == "accredited" and "geschorst" not in public_status()
    approve(approver, number, "suspend")
    assert api_status() == "suspended" and "geschorst" in public_status()
    assert "Onderzoek naar een klacht." in public.content() and "dossier 17" not in public.content()

    page.goto(f"/admin/coaches/{code}")
    decide(page, "Schorsing opgeheven", "Opheffing vastleggen", {"#lift-suspension": "SKZ-2025-0901", "#lift-date": "01-02-2025",
                                                                 "#lift-reference": "SKZ-2025-0902"})
    assert public_status().endswith("geregistreerd") and "niet" not in public_status()

    decide(page, "Registratie ingetrokken", "Intrekking voorstellen", {"#revoke-effective": "01-03-2025", "#revoke-reference": "SKZ-2025-0903"})
    number = page.url.rsplit("/", 1)[1].split("?")[0]
    assert "ingetrokken" not in public_status()  # not yet
    approve(approver, number, "revoke")
    assert "registratie ingetrokken" in public_status()

    page.goto(f"/admin/coaches/{code}")
    decide(page, "Besluit vervallen (ten onrechte vastgelegd)", "Vervallenverklaring voorstellen",
           {"#retract-target": "SKZ-2025-0903", "#retract-reference": "SKZ-2025-0904", "#retract-reason": "Verkeerde coach"})
    number = page.url.rsplit("/", 1)[1].split("?")[0]
    approve(approver, number, "retract")
    assert public_status().endswith("geregistreerd") and "niet" not in public_status()
    page.goto(f"/admin/coaches/{code}")
    expect(page.get_by_text("vervallen door SKZ-2025-0904")).to_be_visible()
    expect(page.get_by_text("voorgesteld door Anna de Boer").first).to_be_visible()
    check_accessible(page, "coach-timeline")
    second.close()

    follow(page, page.get_by_role("button", name="Uitloggen"))
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen voor medewerkers")
    assert "m.vandersteen@example.nl" not in page.content() and "SKZ-2025-0903" not in page.content()
    context.close()


def test_an_editor_withdraws_a_qualification_after_a_check_page(browser: Browser, staff_registry: RunningRegistry,
                                                                  tmp_path) -> None:
    setup = {
        "organisations": [{"code": "O-WB", "name": "Rookvrij Kampen", "city": "Kampen"}],
        "trainings": [{"code": "T-WB", "name": "Stoppen in de groep", "organisation": "O-WB", "guidance_types": ["intensive"],
                       "formats": ["group"]}],
        "coaches": [{"registration_number": "C-WB", "initials": "J.", "surname": "Bakker"}],
        "qualifications": [{"coach": "C-WB", "training": "T-WB", "completed_on": "2024-02-01"}],
    }
    (tmp_path / "setup.json").write_text(json.dumps(setup))
    staff_registry.command("import", str(tmp_path / "setup.json"))
    context = browser.new_context(base_url=staff_registry.base_url, viewport=DESKTOP, locale="nl-NL")
    page = context.new_page()
    sign_in_locally(page, "bert", BERT_PASSWORD)
    page.goto("/admin/coaches/C-WB")
    follow(page, page.get_by_role("button", name="Kwalificatie intrekken Stoppen in de groep"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Kwalificatie intrekken")
    check_accessible(page, "qualification-withdraw-check")
    follow(page, page.get_by_role("button", name="Ja, deze kwalificatie intrekken"))
    expect(page.get_by_role("status")).to_contain_text("De gevolgde opleiding is ingetrokken.")
    expect(page.get_by_role("region", name="Opleidingen die deze coach heeft afgerond")).to_contain_text("ingetrokken op")
    expect(page.get_by_role("button", name="Kwalificatie intrekken Stoppen in de groep")).to_have_count(0)
    check_accessible(page, "qualification-withdrawn")
    context.close()
