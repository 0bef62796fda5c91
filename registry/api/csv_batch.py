"""POST /api/v1/verifications/batch with a CSV body: a declaration file checked without writing code.

The header row names claim fields; each later row is a claim, judged exactly as the same item of a
JSON batch. The answer is CSV too: the row's own cells, then the verdict. A file that cannot be read
as claims (not UTF-8, no header, an unknown or repeated column, no rows, too many rows) is refused
as a whole with 422 naming the row and the column, and nothing is judged or stored.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from registry.api.problems import Refused
from registry.csv_cells import BYTE_ORDER_MARK, safe_cell
from registry.schemas.verification import BatchItemError, VerificationResult
from registry.services.errors import FieldError, ValidationFailed
from registry.services.verification.answer import CLAIM_FIELDS

CSV = "text/csv"
VERDICT_COLUMNS = ("accredited", "reasons", "programme_code", "verification_id", "receipt", "error")
SEPARATORS = (",", ";")


def is_csv(content_type: str) -> bool:
    """True when the body is declared as CSV (`text/csv`, with or without a charset)."""
    return content_type.split(";", 1)[0].strip().lower() == CSV


@dataclass(frozen=True, slots=True)
class CsvClaims:
    """A CSV file read as claims: the columns as given, each row's cells and its claim, and how to write the answer."""

    columns: list[str]
    rows: list[list[str]]
    claims: list[dict[str, Any]]
    numbers: list[int]  # each claim's row number as a spreadsheet shows it (the header is row 1)
    separator: str
    byte_order_mark: bool

    def answer_file(self, results: list[VerificationResult | BatchItemError], *_: object) -> tuple[bytes, str]:
        """The batch's answer as this file's answer file, with its media type."""
        return write_answers(self, results), f"{CSV}; charset=utf-8"


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, message)])


def read_claims(body: bytes, max_rows: int) -> CsvClaims:
    """The claims of a CSV file, or ValidationFailed naming the row and column that make it unreadable."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refused(400, f"the CSV file is not UTF-8 text (byte {error.start}); save it as 'CSV UTF-8'", "malformed-csv") from None
    # Excel writes a byte-order mark before the header: it marks UTF-8 and is no part of the first column's name.
    byte_order_mark = text.startswith(BYTE_ORDER_MARK)
    text = text.removeprefix(BYTE_ORDER_MARK)
    if not text.strip():
        raise _refuse("row 1", "the file is empty: give a header row naming claim fields, then one claim per row")
    first_line = text.split("\n", 1)[0]
    separator = max(SEPARATORS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    try:
        records = list(reader)
    except csv.Error as error:
        raise _refuse(f"row {reader.line_num}", f"is not valid CSV: {error}") from None
    header = [name.strip() for name in records[0]]
    errors = []
    for position, name in enumerate(header, 1):
        if not name:
            errors.append(FieldError(f"row 1, column {position}", "a column without a name; name every column with a claim field"))
        elif name not in CLAIM_FIELDS:
            errors.append(FieldError(f"row 1, column {name}", "unknown column; claim fields are " + ", ".join(CLAIM_FIELDS),
                                     "unknown_field"))
        elif header.index(name) != position - 1:
            errors.append(FieldError(f"row 1, column {name}", "the column is named twice", "duplicate"))
    if errors:
        raise ValidationFailed(errors)
    rows, claims, numbers = [], [], []
    for number, record in enumerate(records[1:], 2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line, as spreadsheets leave at the end
        if len(claims) == max_rows:
            raise _refuse(f"row {number}", f"a file may hold at most {max_rows:,} claims; this is claim {max_rows + 1:,}")
        if len(record) > len(header):
            errors.append(FieldError(f"row {number}", f"has {len(record)} cells where the header names {len(header)} columns"))
            continue
        cells = record + [""] * (len(header) - len(record))
        rows.append(cells)
        # An empty cell is an absent field, as in the import.
        claims.append({name: cell.strip() for name, cell in zip(header, cells, strict=True) if cell.strip()})
        numbers.append(number)
    if errors:
        raise ValidationFailed(errors)
    if not claims:
        raise _refuse("row 2", "the file has a header but no claims")
    return CsvClaims(header, rows, claims, numbers, separator, byte_order_mark)


def row_error(number: int, error: BatchItemError) -> str:
    """A row's problems in one cell: each field and what is wrong with it."""
    found = error.error.errors or []
    return f"row {number}: " + "; ".join(f"{item.field}: {item.message}" for item in found) if found else f"row {number}: {error.error.detail}"


def write_answers(read: CsvClaims, results: list[VerificationResult | BatchItemError]) -> bytes:
    """The answer file: each row's own cells, then its verdict (or its error), with the file's separator."""
    out = io.StringIO()
    if read.byte_order_mark:
        out.write(BYTE_ORDER_MARK)
    writer = csv.writer(out, delimiter=read.separator, lineterminator="\r\n")
    writer.writerow([*read.columns, *VERDICT_COLUMNS])
    for cells, number, result in zip(read.rows, read.numbers, results, strict=True):
        own = [safe_cell(cell) for cell in cells]
        if isinstance(result, BatchItemError):
            writer.writerow([*own, "", "", "", "", "", safe_cell(row_error(number, result))])
            continue
        reasons = "|".join(reason.code for reason in result.reasons)
        programme = result.programme.code if result.programme else ""
        writer.writerow([*own, "true" if result.accredited else "false", reasons, programme, result.verification_id,
                         result.receipt or "", ""])
    return out.getvalue().encode("utf-8")
