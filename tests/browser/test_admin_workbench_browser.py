"""The staff workbench in Chromium: the dashboard's links to filtered lists, every admin page at 390 px with axe-core, a refused workbook."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from openpyxl import Workbook
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, SCREENSHOTS, browser_document, follow, launched_chromium
from tests.conftest import fresh_database
from tests.support.server import RunningRegistry, running_registry

PASSWORD = "a long workbench passphrase"
PHONE_390 = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def workbench(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A server with demo data, the known records, an open suspension, a proposal waiting and two local accounts."""
    directory = tmp_path_factory.mktemp("workbench")
    with fresh_database(database_template, directory) as url, running_registry(url, directory / "data", demo_coaches=30) as server:
        document = browser_document()
        document["decisions"].append({"subject": "coach", "code": "C-900123", "kind": "suspend", "from": "2026-07-01",
                                      "reference": "SKZ-2026-0990", "reason": "Onderzoek naar een klacht"})
        known = directory / "known.json"
        known.write_text(json.dumps(document))
        server.command("import", str(known))
        server.command("create-user", "beheerder", "--role", "admin", "--display-name", "Bea Beheer", "--password-stdin", stdin=PASSWORD)
        server.command("create-user", "redacteur", "--role", "editor", "--display-name", "Ruud Redactie", "--password-stdin", stdin=PASSWORD)
        yield server


@pytest.fixture(scope="module")
def browser(workbench: RunningRegistry) -> Iterator[Browser]:
    """Chromium for this module, started after the server."""
    with launched_chromium() as launched:
        yield launched


def signed_in(browser: Browser, registry: RunningRegistry, username: str, viewport: dict) -> Page:
    """A fresh profile signed in with a local account.

    JavaScript is on: axe-core runs as a script in the page and never finishes without it (the pages have none).
    """
    context = browser.new_context(base_url=registry.base_url, viewport=viewport, locale="nl-NL")
    page = context.new_page()
    page.goto("/admin/inloggen")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Inloggen", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Overzicht")
    return page


def accessible(page: Page, name: str | None = None) -> None:
    """No axe-core violations on this page; a full-page screenshot under `name`."""
    results = Axe().run(page)
    assert results.violations_count == 0, (page.url, results.generate_report())
    if name:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_the_dashboard_leads_to_filtered_lists_and_records(browser: Browser, workbench: RunningRegistry) -> None:
    editor = signed_in(browser, workbench, "redacteur", DESKTOP)
    # A proposal waiting, so the dashboard's first work list has a row.
    editor.goto("/admin/coaches/C-900123")
    editor.locator("summary", has_text="Registratie ingetrokken").click()
    editor.locator("#revoke-effective").fill("01-12-2026")
    editor.locator("#revoke-reference").fill("SKZ-2026-0991")
    follow(editor, editor.locator("details[open]").get_by_role("button", name="Intrekking voorstellen"))
    editor.goto("/admin")
    accessible(editor, "admin-workbench-dashboard-desktop")

    # The demo data has open suspensions of its own beside C-900123's.
    follow(editor, editor.get_by_role("link", name=re.compile(r"^\d+ schorsingen? zonder einddatum$")))
    expect(editor.get_by_role("heading", level=1)).to_have_text("Geschorst zonder einddatum")
    accessible(editor)
    follow(editor, editor.get_by_role("link", name=re.compile("^J. de Vries")))
    expect(editor.get_by_role("heading", level=1)).to_have_text("J. de Vries")

    editor.goto("/admin")
    follow(editor, editor.get_by_role("link", name="1 voorstel wacht op goedkeuring"))
    expect(editor.get_by_role("heading", level=1)).to_have_text("Voorstellen die wachten op goedkeuring")
    follow(editor, editor.locator("main a[href^='/admin/voorstellen/']").first)
    expect(editor.get_by_text("U heeft dit besluit zelf voorgesteld")).to_be_visible()

    editor.goto("/admin")
    # A count in the status table leads to the list filtered by that status.
    follow(editor, editor.get_by_role("row").filter(has_text="geschorst").get_by_role("link").nth(1))
    assert "status=suspended" in editor.url
    expect(editor.get_by_text("C-900123")).to_be_visible()

    editor.goto("/admin")
    editor.locator("#q").fill("SKZ-2026-0990")
    follow(editor, editor.get_by_role("button", name="Zoeken", exact=True))
    follow(editor, editor.get_by_role("link", name="SKZ-2026-0990"))
    expect(editor.get_by_role("heading", level=1)).to_have_text("J. de Vries")

    # A decision form with errors: labels in the summary, which has the focus.
    editor.locator("summary", has_text="Geschorst").click()
    editor.locator("#suspend-from").fill("31-02-2026")
    follow(editor, editor.locator("details[open]").get_by_role("button", name="Schorsing voorstellen"))
    summary = editor.locator(".error-summary")
    expect(summary).to_contain_text("Geschorst vanaf")
    expect(summary).to_be_focused()
    assert editor.title().startswith("Fout: ")
    accessible(editor, "admin-decision-form-errors-desktop")
    editor.goto("/admin/audit")
    accessible(editor, "admin-audit-log-desktop")
    editor.context.close()


ADMIN_PAGES = ["/admin", "/admin/voorstellen", "/admin/werklijst?lijst=geschorst", "/admin/werklijst?lijst=verloopt",
               "/admin/werklijst?lijst=nooit-besloten", "/admin/zoeken?q=vries", "/admin/programmas", "/admin/programmas/P-900045",
               "/admin/programmas/P-900045/wijzigen", "/admin/programmas/nieuw", "/admin/coaches", "/admin/coaches/C-900123",
               "/admin/coaches/C-900123/wijzigen", "/admin/opleidingen", "/admin/opleidingen/T-900003", "/admin/organisaties",
               "/admin/organisaties/O-900012", "/admin/audit", "/admin/audit/keten", "/admin/importeren", "/admin/api-clients",
               "/admin/medewerkers", "/admin/medewerkers/nieuw", "/admin/medewerkers/uitnodigen", "/admin/zorgstandaard"]


def test_every_admin_page_fits_390_px_and_passes_axe(browser: Browser, workbench: RunningRegistry) -> None:
    admin = signed_in(browser, workbench, "beheerder", PHONE_390)
    admin.goto("/admin/voorstellen")
    proposals = [link.get_attribute("href") for link in admin.locator("a[href^='/admin/voorstellen/']").all()]
    admin.goto("/admin/medewerkers")
    accounts = [href for link in admin.locator("a[href^='/admin/medewerkers/']").all()
                if re.fullmatch(r"/admin/medewerkers/[0-9]+", href := link.get_attribute("href") or "")]
    too_wide = []
    for path in [*ADMIN_PAGES, *proposals[:1], *accounts[:1]]:
        response = admin.goto(path)
        assert response is not None and response.status == 200, path
        overflow = admin.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            too_wide.append((path, overflow))
        accessible(admin)
    admin.goto("/admin")
    admin.screenshot(path=str(SCREENSHOTS / "admin-workbench-dashboard-390.png"), full_page=True)
    assert not too_wide, too_wide
    admin.context.close()


def two_sheet_workbook(path: Path) -> Path:
    """A workbook with one mistake in `coaches` (an AGB code of four digits) and one in `programmes` (an unknown format)."""
    book = Workbook()
    for first in list(book.worksheets):
        book.remove(first)
    coaches = book.create_sheet("coaches")
    coaches.append(["registration_number", "initials", "surname", "city", "agb_code"])
    coaches.append(["C-900777", "K.", "Kramer", "Enschede", "1234"])
    programmes = book.create_sheet("programmes")
    programmes.append(["code", "name", "organisation", "guidance_type", "format", "modes", "sessions", "contact_minutes", "cities"])
    programmes.append(["P-900777", "Stoppen in Twente", "O-900012", "intensive", "weekly", "on_site", 8, 300, "Enschede"])
    book.save(path)
    return path


def test_an_xlsx_import_with_errors_in_two_sheets_names_both_at_once_and_stores_nothing(
        browser: Browser, workbench: RunningRegistry, tmp_path: Path) -> None:
    editor = signed_in(browser, workbench, "redacteur", DESKTOP)
    editor.goto("/admin/importeren")
    editor.locator("#file").set_input_files(two_sheet_workbook(tmp_path / "twee-tabbladen.xlsx"))
    follow(editor, editor.get_by_role("button", name="Bestand controleren"))

    expect(editor.get_by_role("heading", name="Het bestand is geweigerd; er is niets opgeslagen")).to_be_visible()
    expect(editor.locator(".error-summary")).to_contain_text("2 fouten in twee-tabbladen.xlsx")
    rows = editor.locator("table.import-errors tbody tr")
    expect(rows).to_have_count(2)
    found = {row.locator("td").nth(0).inner_text().strip(): row.locator("td").nth(1).inner_text().strip() for row in rows.all()}
    assert set(found) == {"tabblad coaches, rij 2, kolom E (agb_code)", "tabblad programmes, rij 2, kolom E (format)"}, found
    assert all(message and "[" not in message for message in found.values()), found  # Dutch words, not JSON paths
    # Refused as a whole: no preview of changes, no way to apply it.
    expect(editor.get_by_role("button", name="Import uitvoeren")).to_have_count(0)
    expect(editor.get_by_role("heading", name=re.compile("^Voorvertoning"))).to_have_count(0)
    accessible(editor, "admin-import-two-sheet-errors-desktop")

    for path in ("/admin/coaches/C-900777", "/admin/programmas/P-900777"):
        response = editor.goto(path)
        assert response is not None and response.status == 404, path
    editor.context.close()
