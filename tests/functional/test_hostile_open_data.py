"""Open data against a register that changes without decisions and against text made to run in a spreadsheet."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from registry.services.imports.plan import import_document
from registry.services.staff.records import KINDS, save_record
from tests.functional.api_client import ApiSession
from tests.functional.helpers import BASE_DOCUMENT, EDITOR, OPERATOR, document, encode

FORMULA = '=HYPERLINK("http://x","y")'
# Another instance's change reaches this one through its index (data_version watch or LISTEN, else the poll).
FOLLOW_SECONDS = 5.0


@pytest.fixture
async def registered(session: ApiSession) -> ApiSession:
    await import_document(session.engine, encode(BASE_DOCUMENT), OPERATOR)
    await session.recorded()
    return session


def _table(text: str) -> list[dict[str, str]]:
    """The rows of an open-data CSV, below its licence line."""
    return list(csv.DictReader(io.StringIO(text.partition("\n")[2])))


def _manifest(session: ApiSession) -> dict[str, Any]:
    return json.loads((session.api.settings.data_dir / "open-data" / "manifest.json").read_text())


def _coaches_file(session: ApiSession) -> Path:
    return session.api.settings.data_dir / "open-data" / "coaches.csv"


async def test_a_coach_city_edited_through_the_staff_record_path_changes_coaches_csv_and_its_etag(registered: ApiSession) -> None:
    session = registered
    before = await session.http.get("/open-data/coaches.csv")
    assert [row["city"] for row in _table(before.text)] == ["Utrecht"]
    coach = {key: value for key, value in BASE_DOCUMENT["coaches"][0].items() if key != "registration_number"}
    await save_record(session.engine, EDITOR, KINDS["coach"], "C-000123", {**coach, "city": "Zeist"}, None)
    await session.recorded()

    after = await session.http.get("/open-data/coaches.csv", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert [row["city"] for row in _table(after.text)] == ["Zeist"]
    assert after.headers["etag"] != before.headers["etag"]
    # The verification answers' data version is the last decision's id: an edit without a decision leaves it alone.
    assert after.headers["x-data-version"] == before.headers["x-data-version"]
    registry = (await session.http.get("/open-data/registry.json")).json()
    assert registry["coaches"][0]["city"] == "Zeist" and registry["register_version"] > 0


async def test_a_coach_imported_without_a_decision_elsewhere_reaches_the_csv_and_changes_the_etag(registered: ApiSession) -> None:
    session = registered
    before = await session.http.get("/open-data/coaches.csv")
    newcomer = {"registration_number": "C-000124", "initials": "A.", "surname": "Jansen", "city": "Zeist"}
    # Written as another instance would: this instance is not told, it must follow the register itself.
    await import_document(session.engine, encode({"coaches": [newcomer]}), OPERATOR)

    deadline = time.monotonic() + FOLLOW_SECONDS
    while True:
        after = await session.http.get("/open-data/coaches.csv", headers={"If-None-Match": before.headers["etag"]})
        if after.status_code == 200 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert after.status_code == 200, "the open data stayed as it was after a coach was added"
    rows = {row["registration_number"]: row for row in _table(after.text)}
    assert rows["C-000124"]["name"] == "A. Jansen" and rows["C-000124"]["status"] and not rows["C-000124"]["reference"]
    assert after.headers["etag"] != before.headers["etag"]


async def test_after_a_change_the_files_are_made_once_and_an_unchanged_register_keeps_them(registered: ApiSession) -> None:
    session = registered
    first = await session.http.get("/open-data/coaches.csv")
    await import_document(session.engine, encode({"qualifications": [
        {"coach": "C-000123", "training": "T-000003", "completed_on": "2024-05-17", "certificate": "AB-992"}]}), OPERATOR)
    await session.recorded()
    changed = await session.http.get("/open-data/coaches.csv")
    assert changed.headers["etag"] != first.headers["etag"]
    made = _manifest(session)
    mtime = _coaches_file(session).stat().st_mtime_ns
    assert made["register_version"] == (await session.api.index.current()).register_version

    # Nothing published changed (a new API client is no change to the register): same files, same ETag.
    await session.new_client("Zorgverzekeraar Later")
    await session.recorded()
    for _ in range(3):
        again = await session.http.get("/open-data/coaches.csv", headers={"If-None-Match": changed.headers["etag"]})
        assert again.status_code == 304 and again.headers["etag"] == changed.headers["etag"]
    assert (await session.http.get("/open-data/registry.json")).json()["generated_at"] == made["generated_at"]
    assert _manifest(session) == made and _coaches_file(session).stat().st_mtime_ns == mtime


HOSTILE_PROGRAMMES = [
    {**BASE_DOCUMENT["programmes"][0], "code": f"P-00009{number}", "name": name, "cities": [city]}
    for number, (name, city) in enumerate([("+31 Rookvrij", "Utrecht"), ("-Rookvrij", "@Zeist"), ("@Rookvrij", "-Amersfoort")], start=1)
]
HOSTILE_COACH = {"registration_number": "C-000666", "initials": "-J.", "surname": FORMULA, "city": FORMULA}
HOSTILE_TRAINING = {**BASE_DOCUMENT["trainings"][0], "code": "T-000099", "name": "=1+1"}


async def test_text_that_a_spreadsheet_would_run_is_kept_as_text_in_the_csvs_and_as_recorded_in_json(session: ApiSession) -> None:
    hostile = document(programmes=[*BASE_DOCUMENT["programmes"], *HOSTILE_PROGRAMMES],
                       coaches=[*BASE_DOCUMENT["coaches"], HOSTILE_COACH], trainings=[*BASE_DOCUMENT["trainings"], HOSTILE_TRAINING])
    await import_document(session.engine, encode(hostile), OPERATOR)
    await session.recorded()

    programmes = {row["code"]: row for row in _table((await session.http.get("/open-data/programmes.csv")).text)}
    assert [programmes[p["code"]]["name"] for p in HOSTILE_PROGRAMMES] == ["'+31 Rookvrij", "'-Rookvrij", "'@Rookvrij"]
    assert [programmes[p["code"]]["cities"] for p in HOSTILE_PROGRAMMES] == ["Utrecht", "'@Zeist", "'-Amersfoort"]
    assert programmes["P-000045"]["name"] == "Samen Rookvrij"
    coaches = {row["registration_number"]: row for row in _table((await session.http.get("/open-data/coaches.csv")).text)}
    assert coaches["C-000666"]["name"] == f"'-J. {FORMULA}" and coaches["C-000666"]["city"] == f"'{FORMULA}"
    assert coaches["C-000123"]["name"] == "J. de Vries"
    trainings = {row["code"]: row for row in _table((await session.http.get("/open-data/trainings.csv")).text)}
    assert trainings["T-000099"]["name"] == "'=1+1"

    registry = (await session.http.get("/open-data/registry.json")).json()
    coach = next(c for c in registry["coaches"] if c["registration_number"] == "C-000666")
    assert (coach["initials"], coach["surname"], coach["city"], coach["name"]) == ("-J.", FORMULA, FORMULA, f"-J. {FORMULA}")
    names = {p["code"]: (p["name"], p["cities"]) for p in registry["programmes"]}
    assert [names[p["code"]] for p in HOSTILE_PROGRAMMES] == [(p["name"], p["cities"]) for p in HOSTILE_PROGRAMMES]
    assert next(t for t in registry["trainings"] if t["code"] == "T-000099")["name"] == "=1+1"
