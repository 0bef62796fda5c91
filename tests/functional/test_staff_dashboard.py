"""The dashboard as a work list: every count links to the list it counts; one search box over every record kind and reference."""

from __future__ import annotations

import datetime as dt
import html
import re

from registry.services.imports.plan import import_document
from registry.services.public.read import today
from registry.settings import Settings
from tests.functional.helpers import OPERATOR, document, encode
from tests.functional.staff import add_staff, sign_in, staff_app
from tests.functional.test_staff_decisions import decide


def work_document(on: dt.date) -> dict:
    """Known records around today: one grant ending in 20 days, a suspension without an end, a coach never decided."""
    day = on.isoformat
    ends = on + dt.timedelta(days=20)
    return document(
        coaches=[
            {"registration_number": "C-000123", "initials": "J.", "prefix": "de", "surname": "Vries", "agb_code": "87654321", "city": "Utrecht"},
            {"registration_number": "C-000124", "initials": "A.", "surname": "Bakker", "city": "Zeist"},
            {"registration_number": "C-000125", "initials": "P.", "surname": "Smit", "city": "Ede"},
        ],
        decisions=[
            {"subject": "training", "code": "T-000003", "kind": "grant", "valid_from": "2020-01-01", "reference": "SKZ-2020-0001"},
            {"subject": "programme", "code": "P-000045", "kind": "grant", "valid_from": "2025-09-01", "valid_until": ends.isoformat(),
             "reference": "SKZ-2025-0031"},
            {"subject": "coach", "code": "C-000123", "kind": "grant", "valid_from": "2024-06-01", "reference": "SKZ-2024-0100"},
            {"subject": "coach", "code": "C-000123", "kind": "suspend", "from": day(), "reference": "SKZ-2026-0777", "reason": "Onderzoek"},
            {"subject": "coach", "code": "C-000124", "kind": "grant", "valid_from": "2024-06-01", "reference": "SKZ-2024-0101"},
        ],
    )


def links(page: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', page)]


async def test_every_count_and_row_of_the_dashboard_leads_to_its_list(settings: Settings) -> None:
    on = today()
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(work_document(on)), OPERATOR)
        await app.state.api.index.catch_up()
        await sign_in(editor, "editor")
        proposed = await decide(editor, "coaches", "C-000124", "revoke", effective=on.strftime("%d-%m-%Y"), reference="SKZ-2026-0888")
        assert proposed.status_code == 303
        board = (await editor.get("/admin")).text
        hrefs = links(board)
        assert "1 voorstel wacht op goedkeuring" in board and "/admin/voorstellen" in hrefs
        assert "1 schorsing zonder einddatum" in board and "1 inschrijving zonder enig besluit" in board
        assert "1 accreditatie loopt af binnen 90 dagen" in board
        assert "/admin/coaches?status=suspended" in hrefs and "/admin/programmas?status=accredited" in hrefs
        month = (on + dt.timedelta(days=20)).strftime("%Y-%m")
        assert f"/admin/werklijst?lijst=verloopt&maand={month}" in hrefs
        assert str(on.year) in board  # the chart's months carry their year

        suspended = (await editor.get("/admin/werklijst?lijst=geschorst")).text
        assert "/admin/coaches/C-000123" in links(suspended) and "SKZ-2026-0777" in suspended
        never = (await editor.get("/admin/werklijst?lijst=nooit-besloten")).text
        assert "/admin/coaches/C-000125" in links(never) and "C-000124" not in never
        ending = (await editor.get(f"/admin/werklijst?lijst=verloopt&maand={month}")).text
        assert "/admin/programmas/P-000045" in links(ending) and "Accreditaties die aflopen in" in ending
        listed = (await editor.get("/admin/coaches?status=suspended")).text
        assert "C-000123" in listed and "C-000124" not in listed
        assert (await editor.get("/admin/werklijst?lijst=onbekend")).status_code == 404
        assert (await editor.get("/admin/werklijst?lijst=verloopt&maand=2026-13")).status_code == 404


async def test_one_search_box_finds_codes_names_agb_codes_and_references(settings: Settings) -> None:
    async with staff_app(settings) as (app, viewer):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(work_document(today())), OPERATOR)
        await sign_in(viewer, "viewer")
        by_code = await viewer.get("/admin/zoeken", params={"q": "C-000125"})
        assert by_code.status_code == 303 and by_code.headers["location"] == "/admin/coaches/C-000125"
        by_agb = await viewer.get("/admin/zoeken", params={"q": "87654321"})
        assert by_agb.status_code == 303 and by_agb.headers["location"] == "/admin/coaches/C-000123"
        by_reference = await viewer.get("/admin/zoeken", params={"q": "skz-2026-0777"})
        assert by_reference.status_code == 200 and "/admin/coaches/C-000123" in links(by_reference.text)
        by_name = await viewer.get("/admin/zoeken", params={"q": "utrecht"})
        found = re.sub(r"<[^>]+>", " ", by_name.text[by_name.text.index("<h1"):])
        assert "C-000123" in by_name.text and "O-000012" in by_name.text and "3 resultaten" in by_name.text, found  # the coach, the organisation and the programme offered there
        nothing = await viewer.get("/admin/zoeken", params={"q": "zzzz"})
        assert "Niets gevonden" in nothing.text
        assert "Fout: " in (await viewer.get("/admin/zoeken", params={"q": "x" * 201})).text
