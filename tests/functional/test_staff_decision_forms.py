"""Decision forms on a record page: the next free reference filled in, a taken one refused naming the next, readable pick lists."""

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
from tests.functional.test_staff_decisions import confirm, decide

YEAR = today().year


def suggested(page: httpx.Response, kind: str = "grant") -> str:
    """The reference a decision form of the record page starts with."""
    match = re.search(rf'<input id="{kind}-reference" name="reference" type="text" value="([^"]*)"', page.text)
    assert match, page.text
    return match.group(1)


def options(page: httpx.Response, kind: str) -> list[tuple[str, str]]:
    """(value, text) of each choice in a decision form's pick list, in page order (the empty "Choose" left out)."""
    form = page.text[page.text.index(f'name="kind" value="{kind}"'):]
    select = form[form.index("<select"):form.index("</select>")]
    return [(value, html.unescape(text)) for value, text in re.findall(r'<option value="([^"]+)"[^>]*>(.*?)</option>', select)]


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
        # Leading zeros do not make a number larger: these are 1 to 60.
        await import_document(app.state.api.engine, encode(document(decisions=[
            {"subject": "programme", "code": "P-000045", "kind": "grant", "valid_from": "2025-09-01", "reference": f"SKZ-{YEAR}-{number:08d}"}
            for number in range(1, 61)])), OPERATOR)
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

        # However many references of the series' year have too many digits, they change nothing.
        await import_document(app.state.api.engine, encode(document(decisions=[
            {"subject": "programme", "code": "P-000045", "kind": "grant", "valid_from": "2025-09-01", "reference": f"SKZ-{YEAR}-{number}"}
            for number in range(9_000_000_000, 9_000_000_060)])), OPERATOR)
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


HISTORY = [
    {"subject": "coach", "code": "C-000123", "kind": "grant", "valid_from": "2024-06-01", "reference": "SKZ-2024-0100"},
    {"subject": "coach", "code": "C-000123", "kind": "suspend", "from": "2026-11-01", "reference": "SKZ-2026-0003", "reason": "Klacht"},
    {"subject": "coach", "code": "C-000123", "kind": "suspend", "from": "2026-04-01", "until": "2026-06-30", "reference": "SKZ-2026-0002"},
    {"subject": "coach", "code": "C-000123", "kind": "lift", "date": "2026-05-01", "suspension": "SKZ-2026-0002", "reference": "SKZ-2026-0004"},
]


async def test_pick_lists_name_each_decision_by_kind_first_day_and_reference_newest_first(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(document(decisions=HISTORY)), OPERATOR)
        await sign_in(editor, "editor")
        page = await editor.get("/admin/coaches/C-000123")
        # Only the open suspension can still be lifted; the value sent is still the bare reference.
        assert options(page, "lift") == [("SKZ-2026-0003", "Schorsing vanaf 1 november 2026 – SKZ-2026-0003")]
        # Newest first: the last recorded at the top.
        assert options(page, "retract") == [
            ("SKZ-2026-0004", "Opheffing vanaf 1 mei 2026 – SKZ-2026-0004"),
            ("SKZ-2026-0002", "Schorsing vanaf 1 april 2026 – SKZ-2026-0002"),
            ("SKZ-2026-0003", "Schorsing vanaf 1 november 2026 – SKZ-2026-0003"),
            ("SKZ-2024-0100", "Verlening vanaf 1 juni 2024 – SKZ-2024-0100"),
        ]
        editor.cookies.set("taal", "en")
        assert options(await editor.get("/admin/coaches/C-000123"), "lift") == [
            ("SKZ-2026-0003", "Suspension from 1 November 2026 – SKZ-2026-0003")]
        editor.cookies.delete("taal")

        # A withdrawal is a proposal: its check page names the decision it withdraws the same way.
        proposed = await decide(editor, "coaches", "C-000123", "retract", target="SKZ-2026-0003", reference="SKZ-2026-0010")
        assert proposed.status_code == 303
        check = html.unescape((await editor.get(proposed.headers["location"])).text)
        assert "Schorsing vanaf 1 november 2026 – SKZ-2026-0003" in check


async def test_the_check_page_of_a_withdrawal_names_the_decision_it_withdraws(settings: Settings) -> None:
    async with staff_app(settings, four_eyes=False) as (app, editor):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(document(decisions=HISTORY)), OPERATOR)
        await sign_in(editor, "editor")
        asked = await decide(editor, "coaches", "C-000123", "retract", target="SKZ-2024-0100", reference="SKZ-2026-0011", reason="Fout")
        assert asked.status_code == 200 and "Verlening vanaf 1 juni 2024 – SKZ-2024-0100" in html.unescape(asked.text)
        assert (await confirm(editor, asked)).status_code == 303
        # A withdrawn decision is no longer offered.
        assert "SKZ-2024-0100" not in dict(options(await editor.get("/admin/coaches/C-000123"), "retract"))
