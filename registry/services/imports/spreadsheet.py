"""Import documents from spreadsheets: an XLSX workbook (one sheet per section) or a CSV file (one section).

Each sheet is named as its section and has a header row of the JSON field names; list cells hold their items
separated by `|`; an empty cell leaves the field out. The result is the JSON import document, plus where each
field came from, so that every problem can name its sheet, row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterable

import msgspec

from registry.messages import N_
from registry.rules import DECISION_COMMON_FIELDS, DECISION_KIND_FIELDS
from registry.services.errors import FieldError
from registry.services.imports.parse import ENTITY_FIELDS, JSON_LIST_FIELDS, SECTIONS

LIST_SEPARATOR = "|"
WHOLE_NUMBER_FIELDS = {"sessions", "contact_minutes"}
XLSX_MAGIC = b"PK\x03\x04"
MAX_COLUMNS = 64
# The header row of each section's sheet in the templates: the JSON field names.
TEMPLATE_COLUMNS: dict[str, tuple[str, ...]] = {
    **{section: tuple(fields) for section, fields in ENTITY_FIELDS.items()},
    "decisions": (*DECISION_COMMON_FIELDS, *DECISION_KIND_FIELDS),
}


@dataclass(frozen=True, slots=True)
class Place:
    """Where a value sits in the spreadsheet: sheet name, row number (1 is the header) and column letter."""

    sheet: str
    row: int
    column: str | None = None
    field: str | None = None


@dataclass(slots=True)
class Spreadsheet:
    """A spreadsheet read as an import document, where its fields came from, and the problems of its layout."""

    document: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    places: dict[str, Place] = field(default_factory=dict)  # JSON path of a record or field -> its place
    errors: list[FieldError] = field(default_factory=list)

    def content(self) -> bytes:
        """The import document as JSON."""
        return msgspec.json.encode(self.document)

    @staticmethod
    def describe(place: Place) -> str:
        """A place in English, for the command line: sheet coaches, row 5, column E (agb_code)."""
        text = f"sheet {place.sheet}, row {place.row}"
        if place.column:
            text += f", column {place.column}"
        return text + (f" ({place.field})" if place.field else "")

    def place_of(self, path: str) -> Place | None:
        """Where the field (or else its record) at a JSON path such as coaches[3].agb_code came from."""
        while path:
            if path in self.places:
                return self.places[path]
            if "." not in path:
                break
            path = path.rsplit(".", 1)[0]
        return self.places.get(path)


def column_letter(index: int) -> str:
    """A 0-based column index as a spreadsheet's letters (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def is_xlsx(data: bytes) -> bool:
    """True for a ZIP container, as every XLSX workbook is."""
    return data[:4] == XLSX_MAGIC


def _value(name: str, cell: Any) -> Any:
    """A cell as the JSON import value of field `name`: lists split on `|`, whole numbers, dates as ISO text."""
    if cell is None:
        return None
    if isinstance(cell, dt.datetime):
        cell = cell.date()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if name in WHOLE_NUMBER_FIELDS:
        if isinstance(cell, int):
            return cell
        text = str(cell).strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else text or None
    text = str(cell).strip()
    if not text:
        return None
    if name in JSON_LIST_FIELDS:
        return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
    return text


def _read_rows(sheet: str, rows: Iterable[Iterable[Any]], found: Spreadsheet) -> None:
    """One sheet's rows (the first is the header) into its section of the document."""
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        return
    names = ["" if cell is None else str(cell).strip() for cell in list(header)[:MAX_COLUMNS + 1]]
    while names and not names[-1]:
        names.pop()
    if len(names) > MAX_COLUMNS:
        found.errors.append(FieldError.said(sheet, N_("has more than %(limit)d columns"), "too_many_columns", limit=MAX_COLUMNS))
        return
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            found.errors.append(FieldError.said(f"{sheet}.{name}", N_("column %(name)s appears twice in the header row"), "duplicate_column",
                                                name=name))
            found.places[f"{sheet}.{name}"] = Place(sheet, 1, column_letter(index), name)
        seen.add(name)
    records = found.document.setdefault(sheet, [])
    for number, row in enumerate(iterator, start=2):
        cells = list(row)
        if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells):
            continue
        path = f"{sheet}[{len(records)}]"
        found.places[path] = Place(sheet, number)
        record: dict[str, Any] = {}
        for index, cell in enumerate(cells):
            name = names[index] if index < len(names) else ""
            value = _value(name, cell)
            if value is None:
                continue
            if not name:
                found.errors.append(FieldError.said(f"{path}.{column_letter(index)}", N_("a value in a column without a name in the header row"),
                                                    "unnamed_column"))
                found.places[f"{path}.{column_letter(index)}"] = Place(sheet, number, column_letter(index))
                continue
            record[name] = value
            found.places[f"{path}.{name}"] = Place(sheet, number, column_letter(index), name)
        # A field left empty is still placed, so that "is required" names its column.
        for index, name in enumerate(names):
            if name:
                found.places.setdefault(f"{path}.{name}", Place(sheet, number, column_letter(index), name))
        records.append(record)


def read_xlsx(data: bytes) -> Spreadsheet:
    """A workbook with one sheet per section, named as the section."""
    from openpyxl import load_workbook  # imported when a workbook arrives: it takes a while to load

    found = Spreadsheet()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as problem:
        found.errors.append(FieldError.said("$", N_("not a readable XLSX workbook: %(problem)s"), "invalid_xlsx", problem=str(problem)[:200]))
        return found
    try:
        for sheet in workbook.worksheets:
            name = sheet.title.strip()
            if name not in SECTIONS:
                found.errors.append(FieldError.said(name, N_("is not a section; name each sheet after one of %(sections)s"), "unknown_section",
                                                    sections=", ".join(SECTIONS)))
                found.places[name] = Place(name, 1)
                continue
            _read_rows(name, sheet.iter_rows(values_only=True), found)
    finally:
        workbook.close()
    return found


def read_csv(data: bytes, section: str) -> Spreadsheet:
    """A CSV file holding one section (comma or semicolon separated, UTF-8 with or without a byte order mark)."""
    found = Spreadsheet()
    if section not in SECTIONS:
        found.errors.append(FieldError.said("section", N_("choose one of %(sections)s"), "unknown_section", sections=", ".join(SECTIONS)))
        return found
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        found.errors.append(FieldError.said("$", N_("not UTF-8 text; save the CSV file as UTF-8"), "invalid_csv"))
        return found
    first_line = text.split("\n", 1)[0]
    # Dutch spreadsheet programs write semicolons.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as problem:
        found.errors.append(FieldError.said("$", N_("not a readable CSV file: %(problem)s"), "invalid_csv", problem=str(problem)[:200]))
        return found
    _read_rows(section, ([cell if cell != "" else None for cell in row] for row in rows), found)
    return found


def template_xlsx(columns: dict[str, tuple[str, ...]]) -> bytes:
    """An empty workbook: one sheet per section with its header row, every column formatted as text (AGB codes keep their zeros)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    for first in list(workbook.worksheets):  # the default empty sheet
        workbook.remove(first)
    for section, names in columns.items():
        sheet = workbook.create_sheet(section)
        sheet.append(list(names))
        for index, _name in enumerate(names):
            letter = column_letter(index)
            sheet.column_dimensions[letter].width = 22
            sheet[f"{letter}1"].font = Font(bold=True)
            for row in range(2, 502):
                sheet[f"{letter}{row}"].number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_csv(names: tuple[str, ...]) -> bytes:
    """A CSV file holding only the header row of one section."""
    out = io.StringIO()
    csv.writer(out).writerow(names)
    return ("\ufeff" + out.getvalue()).encode()
