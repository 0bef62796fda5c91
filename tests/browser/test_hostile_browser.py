"""Script in every text field, in Chromium with JavaScript on: no page runs it, public or staff."""

from __future__ import annotations

import json
from typing import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Dialog, expect

from tests.browser.conftest import DESKTOP, follow, launched_chromium
from tests.conftest import fresh_database
from tests.functional.test_hostile_input import PAYLOADS, PUBLIC_PAGES, STAFF_PAGES, hostile_document
from tests.support.server import RunningRegistry, running_registry

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def hostile_registry(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A server whose every text field carries a script payload, and a staff account."""
    directory = tmp_path_factory.mktemp("hostile")
    with fresh_database(database_template, directory) as url, running_registry(url, directory / "data") as server:
        document = directory / "hostile.json"
        document.write_text(json.dumps(hostile_document()))
        server.command("import", str(document))
        server.command("create-user", "redacteur", "--role", "editor", "--password-stdin", stdin=PASSWORD)
        yield server


@pytest.fixture(scope="module")
def browser(hostile_registry: RunningRegistry) -> Iterator[Browser]:
    """Chromium for this module, started after the server."""
    with launched_chromium() as launched:
        yield launched


def test_no_page_runs_a_script_from_the_data(browser: Browser, hostile_registry: RunningRegistry) -> None:
    context = browser.new_context(base_url=hostile_registry.base_url, viewport=DESKTOP, locale="nl-NL", java_script_enabled=True)
    page = context.new_page()
    fired: list[str] = []

    def remember(dialog: Dialog) -> None:
        fired.append(f"{page.url}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", remember)
    html_pages = [path for path in PUBLIC_PAGES if not path.startswith(("/api/", "/open-data/"))]
    searches = [f"/zoeken?q={quote(payload)}" for payload in PAYLOADS] + [f"/coaches?city={quote(payload)}" for payload in PAYLOADS]
    for path in html_pages + searches:
        page.goto(path)
        page.wait_for_load_state("load")
    expect(page.locator("h1")).to_be_visible()
    page.goto("/coaches/C-000001")
    expect(page.locator("h1")).to_contain_text("<script>alert('xss-1')</script>")  # shown as the text it is

    page.goto("/admin/inloggen")
    page.locator("#username").fill("redacteur")
    page.locator("#password").fill(PASSWORD)
    follow(page, page.get_by_role("button", name="Inloggen"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Overzicht")
    for path in STAFF_PAGES:
        page.goto(path)
        page.wait_for_load_state("load")
    # A form sent back with the payloads as field values (a field error) shows them as values, not markup.
    page.goto("/admin/coaches/nieuw")
    page.locator("#surname").fill(PAYLOADS[0])
    page.locator("#city").fill(PAYLOADS[1])
    page.locator("#agb_code").fill(PAYLOADS[2][:8])
    follow(page, page.get_by_role("button", name="Opslaan"))
    expect(page.locator("#agb_code-error")).to_be_visible()
    expect(page.locator("#city")).to_have_value(PAYLOADS[1])
    assert fired == [], fired
    page.evaluate("() => alert('probe')")  # the listener does catch a dialog when one fires
    assert len(fired) == 1 and fired[0].endswith("probe")
    context.close()
