"""The audit log and the API client pages in Chromium: usable without JavaScript, axe-clean, photographed on phone and desktop."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, PHONE, ROOT, SCREENSHOTS, follow
from tests.support.server import RunningRegistry

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def beheerder(registry: RunningRegistry) -> str:
    """A local administrator account on the shared browser-test server."""
    done = subprocess.run([sys.executable, "-m", "registry.cli", "create-user", "beheerder-audit", "--role", "admin", "--password-stdin"],
                          env=registry.env, cwd=ROOT, input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return "beheerder-audit"


def signed_in(page: Page, username: str) -> None:
    page.goto("/admin/inloggen")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Inloggen"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Overzicht")


def test_filter_the_log_and_manage_a_client_without_javascript(browser: Browser, registry: RunningRegistry, beheerder: str) -> None:
    context = browser.new_context(base_url=registry.base_url, viewport=DESKTOP, java_script_enabled=False, locale="nl-NL")
    page = context.new_page()
    signed_in(page, beheerder)
    follow(page, page.get_by_role("link", name="Auditlog"))
    page.get_by_label("Soort gebeurtenis").select_option(label="Besluit vastgelegd")
    follow(page, page.get_by_role("button", name="Tonen"))
    rows = page.locator("table.audit-table tbody tr")
    assert rows.count() == 50 and all(text.startswith("Besluit vastgelegd") for text in rows.locator("td:nth-child(3)").all_inner_texts())
    follow(page, page.get_by_role("link", name="Oudere gebeurtenissen"))
    assert "gebeurtenis=registry%3Adecision%3Arecord" in page.url and "voor=" in page.url
    page.get_by_label("Van (datum)").fill("31-02-2026")
    follow(page, page.get_by_role("button", name="Tonen"))
    expect(page.get_by_role("alert")).to_contain_text("Vul een bestaande datum in")
    page.goto("/admin/audit/keten")
    expect(page.get_by_role("status")).to_contain_text("De keten is intact")

    page.goto("/admin/api-clients")
    page.get_by_label("Naam van het declaratiesysteem").fill("Zorgverzekeraar Browser")
    follow(page, page.get_by_role("button", name="Registreren en geheim tonen"))
    secret = page.locator("#client-secret").inner_text()
    client_id = page.locator("#client-id").inner_text()
    assert len(secret) > 30 and registry.token({"client_id": client_id, "client_secret": secret})
    follow(page, page.get_by_role("link", name="Terug naar de API-clients"))
    assert secret not in page.content()
    follow(page, page.get_by_role("link", name="Uitschakelen Zorgverzekeraar Browser"))
    follow(page, page.get_by_role("button", name="Ja, deze client uitschakelen"))
    expect(page.get_by_role("status")).to_contain_text("Zorgverzekeraar Browser is uitgeschakeld")
    context.close()


@pytest.mark.parametrize(("width_name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_pages_pass_axe_and_fit_the_screen(browser: Browser, registry: RunningRegistry, beheerder: str, width_name: str,
                                               viewport: dict[str, int]) -> None:
    # axe runs as a script in the page, so this profile allows JavaScript; the pages themselves have none.
    context = browser.new_context(base_url=registry.base_url, viewport=viewport, locale="nl-NL")
    page = context.new_page()
    signed_in(page, beheerder)
    client_id = registry.new_client(f"Declaratiesoftware {width_name}")["client_id"]
    pages = {
        "admin-audit": "/admin/audit",
        "admin-audit-errors": "/admin/audit?van=31-02-2026&tot=01-01-2026",
        "admin-audit-chain": "/admin/audit/keten",
        "admin-api-clients": "/admin/api-clients",
        "admin-api-client-rotate": f"/admin/api-clients/{client_id}/nieuw-geheim",
    }
    failures = []
    for name, path in pages.items():
        page.goto(path)
        failures.extend(problems_of(page, name, path, viewport))
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width_name}.png"), full_page=True)
    page.goto("/admin/api-clients")
    page.get_by_label("Naam van het declaratiesysteem").fill(f"Zorgverzekeraar {width_name}")
    follow(page, page.get_by_role("button", name="Registreren en geheim tonen"))
    failures.extend(problems_of(page, "admin-api-client-secret", "POST /admin/api-clients", viewport))
    page.screenshot(path=str(SCREENSHOTS / f"admin-api-client-secret-{width_name}.png"), full_page=True)
    context.close()
    assert not failures, "\n\n".join(failures)


def problems_of(page: Page, name: str, path: str, viewport: dict[str, int]) -> list[str]:
    """axe violations, and a page wider than the screen."""
    found = []
    results = Axe().run(page)
    if results.violations_count:
        found.append(f"{name} ({path}):\n{results.generate_report()}")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 0:
        found.append(f"{name} ({path}) is {overflow}px wider than a {viewport['width']}px screen")
    assert re.search(r"<h1>", page.content()), name
    return found
