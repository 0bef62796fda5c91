"""Open data: the whole public register as one JSON file and a CSV per subject kind, from one snapshot.

Everything is read in one read transaction, so the files agree with each other and name the
data version (last decision id) and the register version (last audit event of a register write)
they were made from. Rows are streamed page by page into files written next to the final ones
and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import msgspec
from piccolo.engine.base import Engine

from registry import rules
from registry.csv_cells import safe_cell
from registry.services.audit_anchor import chain_tip, signed_anchor
from registry.services.public import queries
from registry.services.public.read import decision_view, today
from registry.services.sql import Writer, reading
from registry.services.verification.answer import rfc3339
from registry.services.verification.snapshot import coach_display_name, register_version, to_decision

LICENCE = "CC0 1.0 (https://creativecommons.org/publicdomain/zero/1.0/): free to use, no rights reserved"
FILES = ("registry.json", "programmes.csv", "coaches.csv", "trainings.csv")
_JSON = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class Manifest:
    """What one export holds."""

    generated_at: str
    data_version: int
    status_on: str
    counts: dict[str, int]
    register_version: int = 0
    # The audit chain's signed anchor as it stood in the snapshot the files were read from.
    audit_anchor: dict[str, Any] | None = None


def _listed(value: Any) -> list[str]:
    return list(json.loads(value) if isinstance(value, str) else value or [])


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


async def _all_decisions(reader: Writer) -> tuple[list[dict[str, Any]], dict[tuple[str, int], list[rules.Decision]]]:
    """Every decision row once, and the rules' view of them by subject (both sections need them)."""
    rows: list[dict[str, Any]] = []
    grouped: dict[tuple[str, int], list[rules.Decision]] = {}
    async for row in _rows(reader, "decisions"):
        rows.append(row)
        grouped.setdefault((row["subject_kind"], row["subject_id"]), []).append(to_decision(row))
    return rows, grouped


def _standing(decisions: list[rules.Decision], on: dt.date) -> dict[str, Any]:
    now = rules.standing(decisions, on)
    grant = now.accreditation
    return {
        "status": str(now.status),
        "valid_from": _iso(grant.starts_on) if grant else None,
        "valid_until": _iso(grant.ends_on) if grant else None,
        "reference": grant.reference if grant else None,
    }


# section -> subject kind; each section is also a stream of queries.STREAMS
SECTIONS: dict[str, str] = {"organisations": "organisation", "trainings": "training", "programmes": "programme", "coaches": "coach"}
CSV_COLUMNS = {
    "programmes": ["code", "name", "provider", "guidance_type", "format", "modes", "sessions", "contact_minutes", "cities",
                   "status", "valid_from", "valid_until", "reference"],
    "coaches": ["registration_number", "name", "city", "status", "valid_from", "valid_until", "reference"],
    "trainings": ["code", "name", "institute", "guidance_types", "formats", "status", "valid_from", "valid_until", "reference"],
}


def _record(section: str, row: dict[str, Any], standing: dict[str, Any] | None) -> dict[str, Any]:
    """A row as published: public fields only."""
    if section == "organisations":
        record = {key: row[key] for key in ("code", "name", "city", "kvk_number", "agb_code", "address", "postcode", "phone", "website")}
        return {**record, "agb_codes": _listed(row["agb_codes"])}
    if section == "trainings":
        record = {"code": row["code"], "name": row["name"], "institute": row["institute"],
                  "guidance_types": _listed(row["guidance_types"]), "formats": _listed(row["formats"])}
    elif section == "programmes":
        record = {key: row[key] for key in ("code", "name", "provider", "guidance_type", "format", "sessions", "contact_minutes")}
        record.update(modes=_listed(row["modes"]), cities=_listed(row["cities"]))
    else:
        record = {"registration_number": row["registration_number"], "name": coach_display_name(row), "initials": row["initials"],
                  "prefix": row["prefix"], "surname": row["surname"], "city": row["city"]}
    assert standing is not None
    record["status"] = standing["status"]
    record["accreditation"] = None if standing["reference"] is None else {
        "valid_from": standing["valid_from"], "valid_until": standing["valid_until"], "reference": standing["reference"]}
    return record


PAGE = queries.STREAM_PAGE


async def _rows(reader: Writer, stream: str) -> AsyncIterator[dict[str, Any]]:
    """Rows of a stream (a key of queries.STREAMS) in id order, a page at a time, so memory stays flat.

    On SQLite the next page is fetched (on aiosqlite's thread) while this one is written out; a
    PostgreSQL connection runs one query at a time, so there the pages follow each other.
    """
    page_sql = queries.stream_page(stream)
    ahead = reader.sqlite
    pending = asyncio.ensure_future(reader.fetch_all(page_sql, 0)) if ahead else None
    last = 0
    while True:
        page = await pending if pending is not None else await reader.fetch_all(page_sql, last)
        pending = None
        if len(page) == PAGE:
            last = page[-1]["id"]
            if ahead:
                pending = asyncio.ensure_future(reader.fetch_all(page_sql, last))
        for row in page:
            yield row
        if len(page) < PAGE:
            return


async def export(engine: Engine, directory: Path, on: dt.date | None = None,
                 anchor_signer: tuple[str, Callable[[bytes], str]] | None = None) -> Manifest:
    """Write every open-data file into `directory` from one consistent snapshot; with (issuer, sign) the audit anchor too."""
    on = on or today()
    directory.mkdir(parents=True, exist_ok=True)
    partial = {name: directory / f".{name}.partial" for name in FILES}
    counts: dict[str, int] = {}
    async with reading(engine) as reader:
        last = await reader.fetch_row(queries.LAST_DECISION_ID)
        data_version = int(last["id"])
        register = await register_version(reader)
        generated_at = rfc3339(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
        anchor = None
        if anchor_signer is not None:
            anchor = signed_anchor(await chain_tip(reader), anchor_signer[0], anchor_signer[1])
        with open(partial["registry.json"], "w", encoding="utf-8") as registry_json:
            header = {"licence": LICENCE, "generated_at": generated_at, "data_version": data_version,
                      "register_version": register, "status_on": on.isoformat(), "audit_anchor": anchor}
            registry_json.write(_JSON.encode(header).decode()[:-1])
            decision_rows, decisions = await _all_decisions(reader)
            for section, kind in SECTIONS.items():
                csv_file = open(partial[f"{section}.csv"], "w", encoding="utf-8", newline="") if section in CSV_COLUMNS else None
                rows_out = csv.writer(csv_file, lineterminator="\n") if csv_file else None
                try:
                    if csv_file and rows_out:
                        csv_file.write(f"# {LICENCE}; generated {generated_at}; data version {data_version}; "
                                       f"register version {register}; status on {on}\n")
                        rows_out.writerow(CSV_COLUMNS[section])
                    registry_json.write(f',"{section}":[')
                    count = 0
                    async for row in _rows(reader, section):
                        standing = _standing(decisions.get((kind, row["id"]), []), on) if section != "organisations" else None
                        record = _record(section, row, standing)
                        registry_json.write(("," if count else "") + _JSON.encode(record).decode())
                        if csv_file and rows_out:
                            flat = {**record, **(record["accreditation"] or {})}
                            flat.pop("accreditation")
                            # Never a formula to a spreadsheet (CSV injection); registry.json keeps the values as they are.
                            rows_out.writerow([safe_cell(flat.get(column)) for column in CSV_COLUMNS[section]])
                        count += 1
                    registry_json.write("]")
                    counts[section] = count
                finally:
                    if csv_file and rows_out:
                        csv_file.close()
            counts["qualifications"] = await _write_qualifications(reader, registry_json)
            counts["decisions"] = await _write_decisions(reader, registry_json, decision_rows, decisions)
            registry_json.write("}\n")
    for name, path in partial.items():
        os.replace(path, directory / name)
    manifest = Manifest(generated_at, data_version, on.isoformat(), counts, register, anchor)
    (directory / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2))
    return manifest


async def _write_qualifications(reader: Writer, out: Any) -> int:
    out.write(',"qualifications":[')
    count = 0
    async for row in _rows(reader, "qualifications"):
        out.write(("," if count else "") + _JSON.encode({"coach": row["coach"], "training": row["training"],
                                                       "completed_on": _iso(row["completed_on"])}).decode())
        count += 1
    out.write("]")
    return count


async def _write_decisions(reader: Writer, out: Any, rows: list[dict[str, Any]],
                           grouped: dict[tuple[str, int], list[rules.Decision]]) -> int:
    # Each subject's links (void and lifted decisions) once, as the rules see its decisions now.
    links = {subject: rules.history(decisions) for subject, decisions in grouped.items()}
    codes: dict[tuple[str, int], str] = {}
    for kind, sql in queries.SUBJECT_CODES:
        codes.update({(kind, row["id"]): row["code"] for row in await reader.fetch_all(sql)})
    references: dict[int, str] = {}
    out.write(',"decisions":[')
    count = 0
    for row in rows:
        references[row["id"]] = row["reference"]
        view = {"subject": {"kind": row["subject_kind"], "code": codes.get((row["subject_kind"], row["subject_id"]))},
                **decision_view(row, references, links[(row["subject_kind"], row["subject_id"])])}
        out.write(("," if count else "") + _JSON.encode(view).decode())
        count += 1
    out.write("]")
    return count


