"""Public history and search in Chromium: void and lifted decisions, the status sentence, typo suggestions, place names,
the provider's contact, the layout fixes; axe-core at 360 and 1280 px on each of these pages."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, PHONE, SECRET_REASON, follow, page_failures
from tests.support.server import RunningRegistry

PAGES = {
    "programme-void": "/programmas/P-900046",
    "coach-lifted": "/coaches/C-900200",
    "coach-suspended": "/coaches/C-900201",
    "organisation-contact": "/organisaties/O-900030",
    "search-typo": "/zoeken?q=Utrect",
    "search-empty": "/zoeken?q=qqqzzz",
    "coaches-typo": "/coaches?q=verbek",
}


@pytest.mark.parametrize(("width_name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_history_and_search_pages_pass_axe_and_fit_the_screen(browser: Browser, registry: RunningRegistry, width_name: str,
                                                              viewport: dict[str, int]) -> None:
    failures = page_failures(browser, registry, PAGES, width_name, viewport)
    assert not failures, "\n\n".join(failures)


def test_a_retracted_revocation_is_void_on_the_page_and_its_reason_nowhere(page: Page, registry: RunningRegistry) -> None:
    page.goto("/programmas/P-900046")
    void = page.locator(".history li.void")
    expect(void).to_have_count(1)
    expect(void.get_by_role("heading", level=3)).to_contain_text("Vervallen – ten onrechte vastgelegd")
    expect(void).to_contain_text("vervallen door besluit SKZ-2026-9003")
    expect(void.locator("s").first).to_be_visible()
    expect(page.locator(".status-sentence")).to_have_text("Geaccrediteerd sinds 1 januari 2025 (SKZ-2025-9001), zonder einddatum.")
    assert SECRET_REASON not in page.content()
    for path in ("/api/v1/programmes/P-900046", "/api/v1/changes?limit=1000"):
        answer = httpx.get(registry.base_url + path)
        assert answer.status_code == 200 and SECRET_REASON not in answer.text
    revocation = next(item for item in httpx.get(registry.base_url + "/api/v1/programmes/P-900046").json()["history"]
                      if item["reference"] == "SKZ-2026-9002")
    assert revocation["void"] is True and revocation["reason"] == ""


def test_a_lifted_suspension_shows_its_end_and_an_open_one_its_start(page: Page) -> None:
    page.goto("/coaches/C-900200")
    expect(page.locator(".history")).to_contain_text("van 1 oktober 2026, opgeheven per 20 oktober 2026 (SKZ-2026-9006)")
    expect(page.locator(".status-sentence")).to_have_text("Geregistreerd sinds 1 januari 2024 (SKZ-2024-9004), zonder einddatum.")
    page.goto("/coaches/C-900201")
    expect(page.locator(".status-line")).to_contain_text("geschorst")
    expect(page.locator(".status-sentence")).to_have_text("Geschorst sinds 1 november 2026 (SKZ-2026-9008), tot opheffing.")


def test_a_typo_suggests_and_finds_utrecht(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Zoek een programma, coach, opleiding of organisatie").fill("Utrect")
    follow(page, page.get_by_role("button", name="Zoeken"))
    expect(page.locator(".suggestion")).to_contain_text("Bedoelde u Utrecht?")
    expect(page.get_by_role("link", name="Samen Rookvrij").first).to_be_visible()
    follow(page, page.locator(".suggestion").get_by_role("link", name="Utrecht"))
    expect(page).to_have_url(re.compile(r"/zoeken\?q=Utrecht$"))
    expect(page.locator(".suggestion")).to_have_count(0)
    expect(page.get_by_role("link", name="Samen Rookvrij").first).to_be_visible()


def test_den_bosch_finds_s_hertogenbosch_and_the_provider_can_be_reached(page: Page) -> None:
    page.goto("/zoeken?q=den+bosch")
    follow(page, page.get_by_role("link", name="Stoppen in Brabant"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Stoppen in Brabant")
    reach = page.locator("section", has=page.get_by_role("heading", name="Zo bereikt u de aanbieder"))
    expect(reach).to_contain_text("Markt 1")
    expect(reach).to_contain_text("5211 JV 's-Hertogenbosch")
    expect(reach.get_by_role("link", name="073 123 45 67")).to_have_attribute("href", "tel:0731234567")
    follow(page, reach.get_by_role("link", name="Rookvrij Brabant"))
    expect(page.get_by_role("link", name="Stoppen in Brabant")).to_be_visible()
    expect(page.locator(".results")).to_contain_text("geaccrediteerd")


def test_layout_nav_centred_footer_at_the_bottom_search_marks_no_menu_item(browser: Browser, registry: RunningRegistry) -> None:
    context = browser.new_context(base_url=registry.base_url, viewport=DESKTOP, locale="nl-NL")
    page = context.new_page()
    page.goto("/zoeken?q=qqqzzz")
    expect(page.locator(".main-nav [aria-current]")).to_have_count(0)
    expect(page.get_by_text("Niets gevonden", exact=False)).to_have_count(1)
    nav_left = page.locator(".main-nav ul").bounding_box()
    main_left = page.locator("main").bounding_box()
    assert nav_left and main_left and abs(nav_left["x"] - main_left["x"]) < 1  # one centred column
    footer = page.locator(".site-footer").bounding_box()
    assert footer and abs(footer["y"] + footer["height"] - DESKTOP["height"]) < 1  # a short page: the footer meets the bottom
    context.close()


def test_a_checkbox_sits_left_of_its_label(browser: Browser, registry: RunningRegistry) -> None:
    """The staff forms' checkboxes (templates/admin/_forms.html), laid out by the one stylesheet."""
    from registry.templating import Renderer

    fields = Renderer().environment.from_string(
        '{% from "admin/_forms.html" import checkboxes %}{{ checkboxes("modes", "Werkwijze", options, [], {}) }}'
    ).render(options=[("on_site", "Op locatie"), ("phone", "Telefonisch")])
    context = browser.new_context(base_url=registry.base_url, viewport=PHONE, locale="nl-NL")
    page = context.new_page()
    page.goto("/")
    page.set_content(f'<link rel="stylesheet" href="{registry.base_url}/static/registry.css"><main class="wrap">{fields}</main>')
    page.wait_for_load_state("load")
    box, label = page.locator("#modes-on_site").bounding_box(), page.locator("label[for=modes-on_site]").bounding_box()
    assert box and label and box["x"] + box["width"] <= label["x"] and box["y"] < label["y"] + label["height"]
    assert box["width"] < 40  # not stretched across the form
    context.close()
