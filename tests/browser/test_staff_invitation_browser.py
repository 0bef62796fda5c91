"""An invitation link in Chromium: an administrator invites, the invited person opens the link in a browser of their own,
chooses a password and is signed in; the pages on the way are axe-clean at 390 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import AXE, SCREENSHOTS, follow
from tests.support.server import RunningRegistry

PASSWORD = "an administrator's passphrase"
CHOSEN = "the invited person's own passphrase"
PHONE_390 = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def beheerder(registry: RunningRegistry) -> str:
    """A local administrator account on the shared browser-test server."""
    registry.command("create-user", "beheerder-uitnodiging", "--role", "admin", "--display-name", "Bram Beheer", "--password-stdin",
                     stdin=PASSWORD + "\n")
    return "beheerder-uitnodiging"


def accessible(page: Page, name: str) -> None:
    """No axe-core violations and no sideways scrolling on this page; a full-page screenshot under `name`."""
    results = AXE.run(page)
    assert results.violations_count == 0, (page.url, results.generate_report())
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0, page.url
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_an_invited_person_chooses_a_password_and_lands_signed_in(browser: Browser, registry: RunningRegistry, beheerder: str) -> None:
    # The administrator on a phone (JavaScript on only for axe-core; the pages have none).
    admin_context = browser.new_context(base_url=registry.base_url, viewport=PHONE_390, locale="nl-NL")
    admin = admin_context.new_page()
    admin.goto("/admin/inloggen")
    admin.get_by_label("Gebruikersnaam").fill(beheerder)
    admin.get_by_label("Wachtwoord").fill(PASSWORD)
    follow(admin, admin.get_by_role("button", name="Inloggen"))
    admin.goto("/admin/medewerkers")
    follow(admin, admin.get_by_role("link", name="Medewerker uitnodigen"))
    admin.get_by_label("Gebruikersnaam").fill("f.uitgenodigd")
    admin.get_by_label("Naam", exact=True).fill("Fleur Uitgenodigd")
    admin.get_by_label("Rol").select_option("editor")
    follow(admin, admin.get_by_role("button", name="Account aanmaken en de link tonen"))
    link = admin.locator("#invitation-link").inner_text()
    assert re.fullmatch(re.escape(registry.base_url) + r"/admin/uitnodiging/[A-Za-z0-9_-]{43}", link), link
    accessible(admin, "staff-invitation-link-390")
    follow(admin, admin.get_by_role("link", name="Naar het account"))
    expect(admin.locator("main")).to_contain_text("nog niet gekozen; de uitnodigingslink werkt tot")
    accessible(admin, "staff-invited-account-390")
    follow(admin, admin.get_by_role("link", name="Nieuwe uitnodigingslink maken"))
    accessible(admin, "staff-invitation-confirm-390")  # asked only: the link above keeps working
    admin_context.close()

    # The invited person, in a fresh profile on a phone (JavaScript on only so that axe-core can run; the page has none).
    context = browser.new_context(base_url=registry.base_url, viewport=PHONE_390, locale="nl-NL")
    page = context.new_page()
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Kies uw wachtwoord")
    expect(page.locator("main")).to_contain_text("f.uitgenodigd")
    accessible(page, "staff-invitation-390")
    page.locator("#password").fill(CHOSEN)
    page.locator("#password_repeat").fill("not the same passphrase")
    follow(page, page.get_by_role("button", name="Wachtwoord opslaan en inloggen"))
    expect(page.get_by_role("alert")).to_contain_text("is niet hetzelfde als het wachtwoord")
    expect(page.locator(".error-summary")).to_be_focused()
    accessible(page, "staff-invitation-errors-390")
    page.locator("#password").fill(CHOSEN)
    page.locator("#password_repeat").fill(CHOSEN)
    follow(page, page.get_by_role("button", name="Wachtwoord opslaan en inloggen"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Overzicht")
    expect(page.get_by_role("navigation", name="Medewerkers")).to_contain_text("Fleur Uitgenodigd")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Deze uitnodigingslink werkt niet")
    context.close()
