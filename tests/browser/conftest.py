"""Browser tests: a real registry server and Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Locator, Page, sync_playwright

from tests.conftest import fresh_database
from tests.functional.helpers import BASE_DOCUMENT
from tests.support.server import RunningRegistry, running_registry

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
AXE = Axe()


def follow(page: Page, target: Locator) -> None:
    """Click a link or a form's button and wait until the page it leads to has loaded.

    A click returns once the browser has acted on it, not once the next page is there: axe, a screenshot,
    page.url or page.content() right after it see the old page, or none at all on a busy machine
    ("Cannot read properties of null (reading 'documentElement')"). Use it for every click that navigates.
    """
    with page.expect_navigation(wait_until="load"):
        target.click()


def browser_document() -> dict:
    """The functional tests' programme, coach and training under codes of their own (9xxxxx), beside the demo data."""
    text = json.dumps(BASE_DOCUMENT)
    for code, own in {"O-000012": "O-900012", "O-000020": "O-900020", "T-000003": "T-900003", "P-000045": "P-900045",
                      "C-000123": "C-900123", "87654321": "97654321", "12345678": "92345678", "02345678": "92345679"}.items():
        text = text.replace(code, own)
    document = json.loads(text)
    for section, records in HISTORY_STORIES.items():
        document[section] = document.get(section, []) + records
    return document


SECRET_REASON = "wegens ernstig tuchtrechtelijk verwijt"
# Public history that must read right: a revocation entered in error and withdrawn, a lifted suspension, an open one,
# a provider with contact fields in a place people call by another name.
HISTORY_STORIES: dict[str, list[dict]] = {
    "organisations": [{"code": "O-900030", "name": "Rookvrij Brabant", "city": "'s-Hertogenbosch", "address": "Markt 1",
                       "postcode": "5211 JV", "phone": "073 123 45 67", "website": "https://rookvrij-brabant.example.nl/"}],
    "programmes": [{"code": "P-900046", "name": "Stoppen in Brabant", "organisation": "O-900030", "guidance_type": "intensive",
                    "format": "individual", "modes": ["on_site"], "sessions": 6, "contact_minutes": 300, "cities": ["'s-Hertogenbosch"]}],
    "coaches": [{"registration_number": "C-900200", "initials": "A.", "surname": "Verbeek", "city": "'s-Hertogenbosch"},
                {"registration_number": "C-900201", "initials": "B.", "surname": "Oosterhuis", "city": "Utrecht"}],
    "decisions": [
        {"subject": "programme", "code": "P-900046", "kind": "grant", "valid_from": "2025-01-01", "reference": "SKZ-2025-9001"},
        {"subject": "programme", "code": "P-900046", "kind": "revoke", "effective": "2026-03-01", "reference": "SKZ-2026-9002",
         "reason": SECRET_REASON},
        {"subject": "programme", "code": "P-900046", "kind": "retract", "target": "SKZ-2026-9002", "reference": "SKZ-2026-9003"},
        {"subject": "coach", "code": "C-900200", "kind": "grant", "valid_from": "2024-01-01", "reference": "SKZ-2024-9004"},
        {"subject": "coach", "code": "C-900200", "kind": "suspend", "from": "2026-10-01", "reference": "SKZ-2026-9005", "reason": "Klacht"},
        {"subject": "coach", "code": "C-900200", "kind": "lift", "date": "2026-10-20", "suspension": "SKZ-2026-9005",
         "reference": "SKZ-2026-9006"},
        {"subject": "coach", "code": "C-900201", "kind": "grant", "valid_from": "2024-01-01", "reference": "SKZ-2024-9007"},
        {"subject": "coach", "code": "C-900201", "kind": "suspend", "from": "2026-11-01", "reference": "SKZ-2026-9008", "reason": "Onderzoek"},
    ],
}


@pytest.fixture(scope="session")
def registry(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """One server for the browser tests, with demo data and the known records."""
    directory = tmp_path_factory.mktemp("browser")
    with fresh_database(database_template, directory) as url, running_registry(url, directory / "data", demo_coaches=60) as server:
        document = directory / "known.json"
        document.write_text(json.dumps(browser_document()))
        server.command("import", str(document))
        yield server


@pytest.fixture(scope="module")
def browser(registry: RunningRegistry) -> Iterator[Browser]:
    """Debian's Chromium, headless, for one module.

    Playwright's sync API keeps an event loop running in this thread while it is open, so it starts
    after the server (whose database is prepared with asyncio.run) and closes before other modules.
    """
    with launched_chromium() as launched:
        yield launched


@contextlib.contextmanager
def launched_chromium() -> Iterator[Browser]:
    """Debian's Chromium through Playwright (no browser download is possible here); start it after the module's server."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="session", autouse=True)
def screenshot_folder() -> Path:
    """Screenshots of each page type, kept after the run for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def context(browser: Browser, registry: RunningRegistry) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) at desktop width, JavaScript off: the pages must not need it."""
    opened = browser.new_context(base_url=registry.base_url, viewport=DESKTOP, java_script_enabled=False, locale="nl-NL")
    yield opened
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A tab in the fresh profile."""
    return context.new_page()


def page_failures(browser: Browser, registry: RunningRegistry, pages: dict[str, str], width_name: str,
                  viewport: dict[str, int]) -> list[str]:
    """Each page's axe-core violations and sideways overflow at this width, with a screenshot of every page."""
    # axe runs as a script in the page, so this profile allows JavaScript; the pages themselves have none.
    context = browser.new_context(base_url=registry.base_url, viewport=viewport, locale="nl-NL")
    page = context.new_page()
    failures = []
    for name, path in pages.items():
        page.goto(path)
        results = AXE.run(page)
        if results.violations_count:
            failures.append(f"{name} ({path}):\n{results.generate_report()}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            failures.append(f"{name} ({path}) is {overflow}px wider than a {viewport['width']}px screen")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width_name}.png"), full_page=True)
    context.close()
    return failures
