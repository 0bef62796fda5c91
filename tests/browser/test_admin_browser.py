"""Staff sign-in in Chromium through a real OpenID Provider, the dashboard, sign-out, and the back button."""

from __future__ import annotations

from typing import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect

from tests.browser.conftest import CHROMIUM, DESKTOP, SCREENSHOTS
from tests.conftest import fresh_database
from tests.support.oidc_provider import Provider, running_provider
from tests.support.server import RunningRegistry, free_port, running_registry

ANNA = {"anna": {"email": "anna@stichting-smr.example", "name": "Anna de Boer", "roles": ["smr-editors"]}}


@pytest.fixture(scope="module")
def staff_registry(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A server that signs staff in through a real OpenID Provider."""
    port = free_port()
    directory = tmp_path_factory.mktemp("admin-browser")
    with running_provider([f"http://127.0.0.1:{port}/admin/oidc/callback"], ANNA) as provider, \
            fresh_database(database_template, directory) as url, \
            running_registry(url, directory / "data", demo_coaches=40, port=port, **oidc_environment(provider)) as server:
        yield server


def oidc_environment(provider: Provider) -> dict[str, str]:
    return {"REGISTRY_OIDC_ISSUER": provider.issuer, "REGISTRY_OIDC_CLIENT_ID": provider.client_id,
            "REGISTRY_OIDC_CLIENT_SECRET": provider.client_secret, "REGISTRY_OIDC_ROLE_MAP": "smr-editors=editor"}


@pytest.fixture(scope="module")
def browser(staff_registry: RunningRegistry) -> Iterator[Browser]:
    """Chromium for this module, started after the server (see tests/browser/conftest.py)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def test_sign_in_with_the_provider_see_the_dashboard_sign_out_and_back_shows_nothing(browser: Browser, staff_registry: RunningRegistry) -> None:
    context = browser.new_context(base_url=staff_registry.base_url, viewport=DESKTOP, locale="nl-NL")
    page = context.new_page()
    page.goto("/admin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen voor medewerkers")
    assert Axe().run(page).violations_count == 0
    page.screenshot(path=str(SCREENSHOTS / "admin-sign-in-desktop.png"), full_page=True)
    page.get_by_role("link", name="Inloggen met het account van uw organisatie").click()
    # The provider's own sign-in and consent pages.
    page.locator("input[name=login]").fill("anna")
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").first.click()
    page.locator("button[type=submit]").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overzicht")
    expect(page.get_by_text("Anna de Boer (redacteur)")).to_be_visible()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.screenshot(path=str(SCREENSHOTS / "admin-dashboard-desktop.png"), full_page=True)
    page.get_by_role("button", name="Uitloggen").click()
    page.screenshot(path=str(SCREENSHOTS / "admin-signed-out-desktop.png"), full_page=True)
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen voor medewerkers")
    assert "Anna de Boer" not in page.content()
    context.close()
