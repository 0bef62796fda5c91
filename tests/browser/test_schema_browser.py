"""/schema in Chromium on a network without internet: the viewer comes from the registry, under its strict CSP."""

from __future__ import annotations

from playwright.sync_api import Browser, Route, expect

from tests.support.server import RunningRegistry


def test_the_schema_page_works_offline_under_its_csp(browser: Browser, registry: RunningRegistry) -> None:
    context = browser.new_context(base_url=registry.base_url)
    elsewhere: list[str] = []

    def offline(route: Route) -> None:
        # Only the registry answers; anything else is what a network without internet does to it.
        if route.request.url.startswith(registry.base_url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", offline)
    page = context.new_page()
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(message.text) if message.type == "error" else None)
    page.goto("/schema")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/verifications/batch")).to_be_visible(timeout=20_000)
    assert page.locator(".opblock").count() >= 16
    expect(page.get_by_role("link", name="/api", exact=True)).to_be_visible()  # the description links to the guide
    page.locator(".opblock-summary-path", has_text="/oauth/token").click()
    expect(page.locator(".opblock.is-open")).to_be_visible()
    assert not elsewhere, elsewhere
    assert not [text for text in complaints if "Content Security Policy" in text or "Refused" in text], complaints
    context.close()
