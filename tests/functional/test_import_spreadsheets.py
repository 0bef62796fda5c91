"""Imports from XLSX workbooks and CSV files, in the staff UI and at the command line: every problem at once, by sheet, row and column."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import subprocess
import sys

import httpx
from openpyxl import Workbook, load_workbook

from registry.services.imports.plan import import_document
from registry.services.imports.spreadsheet import TEMPLATE_COLUMNS, read_csv, read_xlsx
from registry.services.sql import reading
from registry.settings import Settings
from tests.functional.helpers import OPERATOR, document, encode
from tests.functional.staff import add_staff, csrf_of, sign_in, staff_app
from tests.functional.test_import_upload import apply, digest_in
from tests.support.server import ROOT, registry_environment

Rows = list[list[object]]


def workbook(sheets: dict[str, Rows]) -> bytes:
    """An XLSX workbook with these sheets, each a header row and data rows."""
    book = Workbook()
    for first in list(book.worksheets):
        book.remove(first)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD = {
    "organisations": [["code", "name", "city", "agb_code"], ["O-000077", "Rookvrij Oost", "Enschede", "07654321"]],
    "programmes": [["code", "name", "organisation", "guidance_type", "format", "modes", "sessions", "contact_minutes", "cities"],
                   ["P-000077", "Samen Stoppen Oost", "O-000077", "intensive", "group", "on_site|video", 8, 300, "Enschede | Hengelo"]],
    "decisions": [["subject", "code", "kind", "reference", "valid_from", "reason"],
                  ["programme", "P-000077", "grant", "SKZ-2026-0777", dt.datetime(2026, 1, 1), "Voldoet aan de zorgstandaard"]],
}


async def send(client: httpx.AsyncClient, content: bytes, name: str, section: str = "") -> httpx.Response:
    token = csrf_of((await client.get("/admin/importeren")).text)
    kind = "text/csv" if name.endswith(".csv") else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return await client.post("/admin/importeren", data={"csrf_token": token, "section": section}, files={"file": (name, content, kind)})


def problems(page: httpx.Response) -> list[tuple[str, str]]:
    table = page.text[page.text.index('class="import-errors"'):page.text.index("</table>", page.text.index('class="import-errors"'))]
    return [(html.unescape(where).strip(), html.unescape(what).strip())
            for where, what in re.findall(r"<tr><td>(?:<code>)?(.*?)(?:</code>)?</td><td>(.*?)</td></tr>", table, re.S)]


async def test_a_workbook_is_previewed_old_to_new_and_applied(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await import_document(app.state.api.engine, encode(document()), OPERATOR)
        await sign_in(editor, "editor")
        sheets = {**GOOD, "coaches": [["registration_number", "city"], ["C-000123", "Zeist"]]}
        preview = await send(editor, workbook(sheets), "register.xlsx")
        assert preview.status_code == 200, preview.text
        text = html.unescape(re.sub(r"<[^>]+>", " ", preview.text))
        assert re.search(r"city\s*:\s*Utrecht\s+→\s+becomes\s+Zeist|city\s*:\s*Utrecht\s+→\s+wordt\s+Zeist", text), text
        assert "Enschede, Hengelo" in text
        applied = await apply(editor, digest_in(preview))
        assert applied.status_code == 200 and "is geïmporteerd" in applied.text
        async with reading(app.state.api.engine) as reader:
            programme = await reader.fetch_one("SELECT sessions, cities, modes FROM programme WHERE code = 'P-000077'")
            decision = await reader.fetch_one("SELECT starts_on FROM decision WHERE reference = 'SKZ-2026-0777'")
            coach = await reader.fetch_one("SELECT city FROM coach WHERE registration_number = 'C-000123'")
        assert programme["sessions"] == 8 and "Hengelo" in str(programme["cities"]) and "video" in str(programme["modes"])
        assert decision["starts_on"] == dt.date(2026, 1, 1) and coach["city"] == "Zeist"


async def test_errors_in_two_sheets_are_reported_at_once_by_sheet_row_and_column(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        sheets = {
            "coaches": [["registration_number", "initials", "surname", "agb_code"], ["C-000900", "A.", "Jansen", "1234"],
                        ["C-000901", "B.", "", "12345678"]],
            "decisions": [["subject", "code", "kind", "reference", "valid_from"], ["coach", "C-000900", "grant", "SKZ-1", "31-02-2026"]],
            "Blad1": [["x"], [1]],
        }
        refused = await send(editor, workbook(sheets), "fouten.xlsx")
        assert refused.status_code == 422 and "<title>Fout: " in refused.text
        found = problems(refused)
        places = [where for where, _what in found]
        assert "tabblad coaches, rij 2, kolom D (agb_code)" in places
        assert "tabblad coaches, rij 3, kolom C (surname)" in places  # a required field left empty, in the same round
        assert "tabblad decisions, rij 2, kolom E (valid_from)" in places
        assert any(where.startswith("tabblad Blad1") for where in places)
        assert all(re.search(r"[a-z]", what) and "coaches[" not in what for _where, what in found)
        async with reading(app.state.api.engine) as reader:
            assert await reader.fetch_one("SELECT id FROM coach WHERE registration_number = 'C-000900'") is None


async def test_a_csv_file_holds_one_section_named_on_the_form(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        content = "\ufeffregistration_number;initials;prefix;surname;city\nC-000950;M.;van der;Steen;Deventer\n".encode()
        unnamed = await send(editor, content, "coaches.csv")
        assert unnamed.status_code == 400 and "kies welk" in unnamed.text
        preview = await send(editor, content, "coaches.csv", section="coaches")
        assert preview.status_code == 200 and "C-000950" in preview.text
        assert (await apply(editor, digest_in(preview))).status_code == 200
        bad = await send(editor, b"registration_number,surname\nC-000951,\n", "coaches.csv", section="coaches")
        assert ("tabblad coaches, rij 2, kolom B (surname)", ) == tuple(where for where, _ in problems(bad) if "surname" in where)[:1]


async def test_json_problems_of_fields_and_references_come_in_one_round(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        content = encode({"coaches": [{"registration_number": "C-000960", "initials": "A.", "surname": "Bos", "agb_code": "12"}],
                          "programmes": [{"code": "P-000960", "name": "X", "organisation": "O-404040", "guidance_type": "short", "format": "group"}]})
        refused = await send(editor, content, "register.json")
        places = [where for where, _ in problems(refused)]
        assert "coaches[0].agb_code" in places and "programmes[0].organisation" in places


def test_templates_hold_the_header_row_of_every_section() -> None:
    from registry.services.imports.spreadsheet import template_csv, template_xlsx

    book = load_workbook(io.BytesIO(template_xlsx(TEMPLATE_COLUMNS)), read_only=True)
    assert book.sheetnames == list(TEMPLATE_COLUMNS)
    assert next(book["decisions"].iter_rows(values_only=True))[:6] == ("subject", "code", "kind", "reference", "reason", "internal_note")
    assert template_csv(TEMPLATE_COLUMNS["coaches"]).decode("utf-8-sig").startswith("registration_number,")
    assert read_xlsx(b"PK\x03\x04 not a workbook").errors[0].code == "invalid_xlsx"
    assert read_csv(b"a,b\n", "nonsense").errors[0].code == "unknown_section"


async def test_templates_download_from_the_import_page(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        page = await editor.get("/admin/importeren")
        assert 'href="/admin/importeren/sjabloon.xlsx"' in page.text and 'href="/admin/importeren/sjabloon/coaches.csv"' in page.text
        xlsx = await editor.get("/admin/importeren/sjabloon.xlsx")
        assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.content)).sheetnames == list(TEMPLATE_COLUMNS)
        csv_file = await editor.get("/admin/importeren/sjabloon/decisions.csv")
        assert csv_file.status_code == 200 and csv_file.content.decode("utf-8-sig").startswith("subject,code,kind,reference")
        assert (await editor.get("/admin/importeren/sjabloon/nonsense.csv")).status_code == 404


def test_the_command_line_imports_a_workbook_and_names_sheet_row_and_column(settings: Settings, tmp_path) -> None:
    env = registry_environment(settings.database_url, tmp_path / "data", 8000)
    good, bad = tmp_path / "goed.xlsx", tmp_path / "fout.xlsx"
    good.write_bytes(workbook(GOOD))
    bad.write_bytes(workbook({"coaches": [["registration_number", "initials", "surname", "agb_code"], ["C-000970", "A.", "Bos", "12"]]}))
    refused = subprocess.run([sys.executable, "-m", "registry.cli", "import", str(bad)], env=env, cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == 1 and "sheet coaches, row 2, column D (agb_code)" in refused.stderr
    done = subprocess.run([sys.executable, "-m", "registry.cli", "import", str(good)], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    missing = subprocess.run([sys.executable, "-m", "registry.cli", "import", str(tmp_path / "x.csv")], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0
