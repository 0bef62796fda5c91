"""Staff lists as CSV files for spreadsheets, with cells that a spreadsheet will not run as formulas."""

from __future__ import annotations

import csv
import io
from typing import Any, Iterable

from litestar import Response

from registry.csv_cells import BYTE_ORDER_MARK, safe_cell
from registry.services.staff.records import RecordKind

COLUMNS: dict[str, tuple[str, ...]] = {
    "programme": ("code", "name", "organisation_code", "organisation_name", "guidance_type", "format", "cities", "status", "updated_at"),
    "coach": ("code", "initials", "prefix", "surname", "agb_code", "email", "city", "status", "updated_at"),
    "training": ("code", "name", "organisation_code", "organisation_name", "guidance_types", "formats", "status", "updated_at"),
    "organisation": ("code", "name", "kvk_number", "agb_code", "city", "updated_at"),
}


def csv_text(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """UTF-8 CSV with a byte-order mark, so that spreadsheets read accents right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return (BYTE_ORDER_MARK + buffer.getvalue()).encode()


def csv_file(filename: str, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Response[bytes]:
    """A CSV download."""
    return Response(csv_text(header, rows), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def csv_response(kind: RecordKind, items: list[dict[str, Any]]) -> Response[bytes]:
    """A list of records as a CSV download named after the kind."""
    columns = COLUMNS[kind.kind]
    return csv_file(f"{kind.section}.csv", columns, ([item.get(column) for column in columns] for item in items))
