"""Decision forms on a record page: the next free reference filled in, a taken one refused naming the next."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from registry.services.errors import ValidationFailed
from registry.services.imports.plan import import_document
from registry.services.public.read import today
from registry.services.sql import reading
from registry.settings import Settings
from tests.functional.helpers import OPERATOR, document, encode
from tests.functional.staff import add_staff, browser, csrf_of, sign_in, staff_app
from tests.functional.test_staff_decisions import decide

YEAR = today().year


def suggested(page: httpx.Response, kind: str = "grant") -> str:
    """The reference a decision form of the record page starts with."""
    match = re.search(rf'<input id="{kind}-reference" name="reference" type="text" value="([^"]*)"', page.text)
    assert match, page.text
    return match.group(1)


def field_error(page: httpx.Response, key: str) -> str:
    """The error message shown under one field of the page."""
    match = re.search(rf'<p class="error-message" id="{key}-error"><span class="visually-hidden">[^<]*</span>\s*(.*?)</p>', page.text, re.S)
    assert match, page.text
    return html.unescape(match.group(1)).strip()


async def post_form(client: httpx.AsyncClient, page: httpx.Response, code: str, kind: str, **fields: str) -> httpx.Response:
    """Send a decision form as the page showed it (its reference as filled in), with these fields typed."""
    return await client.post(f"/admin/coaches/{code}/besluiten",
                             data={"csrf_token": csrf_of(page.text), "kind": kind, "reference": suggested(page, kind), **fields})


async def test_the_form_fills_in_the_next_free_reference_of_this_years_series(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(document(decisions=[])), OPERATOR)
        await sign_in(editor, "editor")
        page = await editor.get("/admin/coaches/C-000123")
        # Every decision form starts with the same suggestion; the first of the year when nothing is stored yet.
        assert {suggested(page, kind) for kind in ("grant", "suspend", "revoke")} == {f"SKZ-{YEAR}-0001"}

        # Only references shaped SKZ-<this year>-<digits> count, by number (10000 is past 9999), capitals aside.
        other_shapes = [f"SKZ-{YEAR - 1}-0500", f"SKZ-{YEAR}-7", f"SKZ-{YEAR}-0999a", "G-1", f"XYZ-{YEAR}-0800", f"SKZ-{YEAR}-1234567890"]
        decisions = [{"subject": "programme", "code": "P-000045", "kind": "grant", "valid_from": "2025-09-01", "reference": reference}
                     for reference in other_shapes]
        await import_document(app.state.api.engine, encode(document(decisions=decisions)), OPERATOR)
        assert suggested(await editor.get("/admin/coaches/C-000123")) == f"SKZ-{YEAR}-0001"
        await import_document(app.state.api.engine, encode(document(decisions=[
            {"subject": "training", "code": "T-000003", "kind": "grant", "valid_from": "2020-01-01", "reference": f"SKZ-{YEAR}-9999"},
            {"subject": "programme", "code": "P-000045", "kind": "grant", "valid_from": "2025-09-01", "reference": f"skz-{YEAR}-10000"},
        ])), OPERATOR)
        page = await editor.get("/admin/coaches/C-000123")
        assert suggested(page) == f"SKZ-{YEAR}-10001"

        # Recording with the suggestion moves it on; the suggestion was only a suggestion, so a typed one is kept as typed.
        granted = await post_form(editor, page, "C-000123", "grant", valid_from="01-01-2026", reason="Opleiding afgerond")
        assert granted.status_code == 303 and granted.headers["location"].endswith(f"besluit=SKZ-{YEAR}-10001")
        page = await editor.get("/admin/coaches/C-000123")
        assert suggested(page) == f"SKZ-{YEAR}-10002"
        typed = await decide(editor, "coaches", "C-000123", "grant", valid_from="01-01-2027", reference="BESLUIT-A")
        assert typed.status_code == 303
        assert suggested(await editor.get("/admin/coaches/C-000123")) == f"SKZ-{YEAR}-10002"

        # A pending proposal holds its number; a rejected one gives it back.
        proposed = await post_form(editor, page, "C-000123", "suspend", **{"from": "01-03-2027"}, reason="Klacht")
        assert proposed.status_code == 303 and "/admin/voorstellen/" in proposed.headers["location"]
        assert suggested(await editor.get("/admin/coaches/C-000123")) == f"SKZ-{YEAR}-10003"
        proposal = await editor.get(proposed.headers["location"])
        rejected = await editor.post(proposed.headers["location"].split("?")[0] + "/afwijzen",
                                     data={"csrf_token": csrf_of(proposal.text), "rejection_reason": "Toch niet"})
        assert rejected.status_code == 303
        assert suggested(await editor.get("/admin/coaches/C-000123")) == f"SKZ-{YEAR}-10002"


async def test_a_reference_taken_meanwhile_is_refused_naming_the_next_free_one(settings: Settings) -> None:
    async with staff_app(settings) as (app, first):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(document(decisions=[])), OPERATOR)
        second = browser(app, "192.0.2.21")
        await sign_in(first, "editor")
        await sign_in(second, "admin")
        # Both open the coach's page and see the same suggestion; the first to send it gets it.
        first_page = await first.get("/admin/coaches/C-000123")
        second_page = await second.get("/admin/coaches/C-000123")
        assert suggested(first_page) == suggested(second_page) == f"SKZ-{YEAR}-0001"
        assert (await post_form(first, first_page, "C-000123", "grant", valid_from="01-01-2026")).status_code == 303

        late = await post_form(second, second_page, "C-000123", "grant", valid_from="01-06-2026", reason="Nog een")
        assert late.status_code == 400
        message = f"Kenmerk SKZ-{YEAR}-0001 is al gebruikt; het volgende vrije kenmerk is SKZ-{YEAR}-0002."
        assert field_error(late, "grant-reference") == message
        assert message in html.unescape(late.text[late.text.index('class="error-summary"'):])
        # What was typed stays in the form (the taken reference too), so nothing is lost.
        assert suggested(late) == f"SKZ-{YEAR}-0001" and 'value="01-06-2026"' in late.text

        # The same for a decision that becomes a proposal, and for a number a waiting proposal holds.
        proposed = await post_form(first, first_page, "C-000123", "suspend", **{"from": "01-03-2027"})
        assert proposed.status_code == 400
        assert field_error(proposed, "suspend-reference") == message
        waiting = await decide(first, "coaches", "C-000123", "suspend", **{"from": "01-03-2027"}, reference=f"SKZ-{YEAR}-0002")
        assert waiting.status_code == 303
        again = await decide(second, "coaches", "C-000123", "suspend", **{"from": "01-04-2027"}, reference=f"SKZ-{YEAR}-0002")
        assert again.status_code == 400
        assert field_error(again, "suspend-reference") == (
            f"Een voorstel met kenmerk SKZ-{YEAR}-0002 wacht al op goedkeuring; het volgende vrije kenmerk is SKZ-{YEAR}-0003.")
        async with reading(app.state.api.engine) as reader:
            stored = await reader.fetch_all("SELECT reference FROM decision ORDER BY id")
            pending = await reader.fetch_all("SELECT reference FROM decision_proposal WHERE state = 'pending'")
        assert [row["reference"] for row in stored] == [f"SKZ-{YEAR}-0001"]
        assert [row["reference"] for row in pending] == [f"SKZ-{YEAR}-0002"]

        # The import (and so the command line) keeps its own wording, naming the subject.
        with pytest.raises(ValidationFailed) as refused:
            await import_document(app.state.api.engine, encode({"decisions": [
                {"subject": "coach", "code": "C-000123", "kind": "grant", "valid_from": "2027-01-01", "reference": f"SKZ-{YEAR}-0001"}]}),
                OPERATOR)
        assert "already used for a different decision of coach C-000123" in str(refused.value)

