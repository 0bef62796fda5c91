"""The public pages in Chromium: search, detail, language switch, the check page, axe-core on every page type."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, PHONE, follow, page_failures
from tests.support.server import RunningRegistry

PAGE_TYPES = {
    "home": "/",
    "search": "/zoeken?q=utrecht",
    "programmes": "/programmas?city=utrecht",
    "programme": "/programmas/P-900045",
    "coaches": "/coaches?q=vries",
    "coach": "/coaches/C-900123",
    "trainings": "/opleidingen",
    "training": "/opleidingen/T-900003",
    "organisations": "/organisaties",
    "organisation": "/organisaties/O-900012",
    "check-form": "/controleren",
    "check-result": "/controleren?programme_code=P-900045&coach_registration_number=C-900123&service_date=2026-04-14",
    "check-errors": "/controleren?programme_code=P+45&coach_agb_code=12&service_date=31-02-2026",
    "open-data": "/open-data",
    "api-guide": "/api",
    "not-found": "/programmas/P-999999",
}


@pytest.mark.parametrize(("width_name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_every_page_type_passes_axe_fits_the_screen_and_is_photographed(
    browser: Browser, registry: RunningRegistry, width_name: str, viewport: dict[str, int]
) -> None:
    failures = page_failures(browser, registry, PAGE_TYPES, width_name, viewport)
    assert not failures, "\n\n".join(failures)


def test_search_from_home_and_open_a_programme(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Zoek een programma, coach, opleiding of organisatie").fill("samen rookvrij")
    follow(page, page.get_by_role("button", name="Zoeken"))
    expect(page).to_have_url(re.compile(r"/zoeken\?q=samen\+rookvrij"))
    follow(page, page.get_by_role("link", name="Samen Rookvrij").first)
    expect(page.get_by_role("heading", level=1)).to_have_text("Samen Rookvrij")
    expect(page.locator(".status-line")).to_contain_text("geaccrediteerd")
    expect(page.get_by_text("van 1 september 2025 tot en met 31 augustus 2028").first).to_be_visible()


def test_filter_programmes_and_page_through_coaches(page: Page) -> None:
    page.goto("/programmas")
    page.get_by_label("Plaats").fill("Zeist")
    page.get_by_label("Begeleiding").select_option("intensive")
    follow(page, page.get_by_role("button", name="Zoeken"))
    expect(page.get_by_role("link", name="Samen Rookvrij")).to_be_visible()
    assert "guidance_type=intensive" in page.url and "city=Zeist" in page.url
    page.goto("/coaches")
    expect(page.get_by_text(re.compile(r"Pagina 1 van \d+"))).to_be_visible()
    follow(page, page.get_by_role("link", name="Volgende pagina"))
    expect(page.get_by_text(re.compile(r"Pagina 2 van \d+"))).to_be_visible()


def test_language_switch_is_visible_and_persists(page: Page) -> None:
    page.goto("/coaches/C-900123")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    follow(page, page.get_by_role("navigation", name="Taal").get_by_role("link", name="English"))
    expect(page).to_have_url(re.compile(r"/coaches/C-900123$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Status today")).to_be_visible()
    follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Programmes"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Stop-smoking programmes")
    follow(page, page.get_by_role("navigation", name="Language").get_by_role("link", name="Nederlands"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Stoppen-met-rokenprogramma's")


def test_english_browser_gets_english_until_it_chooses(browser: Browser, registry: RunningRegistry) -> None:
    context = browser.new_context(base_url=registry.base_url, locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.goto("/controleren")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check a claim")
    context.close()


def test_check_page_gives_verdict_and_reasons_in_dutch(page: Page) -> None:
    page.goto("/")
    follow(page, page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Declaratie controleren"))
    page.get_by_label("Programmacode").fill("P-900045")
    page.get_by_label("Registratienummer").fill("c-900123")
    page.get_by_label("Datum van de zorg").fill("01-03-2026")
    page.get_by_label("Laatste datum (optioneel, voor een periode)").fill("1-5-2026")
    follow(page, page.get_by_role("button", name="Controleren"))
    verdict = page.locator(".verdict")
    expect(verdict.get_by_role("heading", level=2)).to_contain_text("Nee: niet geaccrediteerd")
    expect(verdict).to_contain_text("De coach was op 1 april 2026 geschorst.")
    page.get_by_label("Datum van de zorg").fill("14-03-2026")
    page.get_by_label("Laatste datum (optioneel, voor een periode)").fill("")
    follow(page, page.get_by_role("button", name="Controleren"))
    expect(page.locator(".verdict h2")).to_contain_text("Ja: geaccrediteerd")


def test_check_page_errors_name_the_fields(page: Page) -> None:
    page.goto("/controleren")
    follow(page, page.get_by_role("button", name="Controleren"))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Vul de code van het programma in")
    expect(summary).to_contain_text("Vul het registratienummer of de AGB-code van de coach in.")
    expect(page.get_by_label("Programmacode")).to_have_attribute("aria-invalid", "true")
