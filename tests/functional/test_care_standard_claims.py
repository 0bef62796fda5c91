"""The care standard on the days of care through the import, the command line and HTTP: the worked example of
programme Q, design histories in import files, and the recording checks naming the shortfall."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from registry.services.errors import ValidationFailed
from registry.services.imports.plan import import_document
from registry.services.sql import reading
from registry.services.verification.answer import parse_claim, verify
from tests.functional.api_client import ApiSession
from tests.functional.helpers import EDITOR, OPERATOR, encode, open_transition

Q_SETUP: dict[str, Any] = {
    "organisations": [{"code": "O-Q", "name": "Rookvrij Amersfoort", "city": "Amersfoort"}],
    "trainings": [{"code": "T-Q", "name": "Intensief individueel", "organisation": "O-Q", "guidance_types": ["intensive"],
                   "formats": ["individual"]}],
    "programmes": [{"code": "Q", "name": "Stoppen op maat", "organisation": "O-Q", "guidance_type": "intensive", "format": "individual",
                    "sessions": 6, "contact_minutes": 150}],
    "coaches": [{"registration_number": "C-Q", "initials": "M.", "surname": "Jansen"}],
    "qualifications": [{"coach": "C-Q", "training": "T-Q", "completed_on": "2023-05-01"}],
    "decisions": [
        {"subject": "training", "code": "T-Q", "kind": "grant", "valid_from": "2020-01-01", "reference": "T-Q-1"},
        {"subject": "coach", "code": "C-Q", "kind": "grant", "valid_from": "2020-01-01", "reference": "C-Q-1"},
        {"subject": "programme", "code": "Q", "kind": "grant", "valid_from": "2024-01-01", "reference": "Q-1"},
    ],
}
VERSION_2 = {"programmes": [{"code": "Q", "designs": [{"effective_from": "2027-03-01", "sessions": 8, "contact_minutes": 240}]}]}
SUSPEND = {"decisions": [{"subject": "programme", "code": "Q", "kind": "suspend", "from": "2027-01-05", "reference": "Q-S"}]}


def reasons(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(reason["code"], reason["on"]) for reason in answer["reasons"]]


async def later(engine: Any, document: dict[str, Any]) -> dt.datetime:
    """Import a document; returns a moment just before it was recorded."""
    await asyncio.sleep(0.01)
    moment = dt.datetime.now(dt.timezone.utc)
    await asyncio.sleep(0.01)
    await import_document(engine, encode(document), OPERATOR)
    return moment


EXAMPLE = [  # (service_date, service_end_date, expected reasons) with design version 1 only
    ("2026-06-01", None, []),
    ("2027-01-01", None, [("PROGRAMME_BELOW_CARE_STANDARD", "2027-01-01")]),
    ("2026-12-20", "2027-01-10", [("PROGRAMME_BELOW_CARE_STANDARD", "2027-01-01")]),
]
WITH_VERSION_2 = [
    ("2027-02-15", None, [("PROGRAMME_BELOW_CARE_STANDARD", "2027-02-15")]),
    ("2027-03-01", None, []),
]


async def test_the_worked_example_through_the_verification_service(engine: Any) -> None:
    await import_document(engine, encode(Q_SETUP), OPERATOR)

    async def ask(day: str, end: str | None = None, known_at: dt.datetime | None = None) -> dict[str, Any]:
        raw = {"programme_code": "Q", "coach_registration_number": "C-Q", "service_date": day}
        if end:
            raw["service_end_date"] = end
        if known_at:
            raw["as_known_at"] = known_at.isoformat()
        return await verify(engine, parse_claim(raw))

    for day, end, expected in EXAMPLE:
        assert reasons(await ask(day, end)) == expected, day
    before_v2 = await later(engine, VERSION_2)
    for day, end, expected in WITH_VERSION_2:
        assert reasons(await ask(day, end)) == expected, day
    assert reasons(await ask("2027-03-01", known_at=before_v2)) == [("PROGRAMME_BELOW_CARE_STANDARD", "2027-03-01")]
    await later(engine, SUSPEND)
    answer = await ask("2027-01-05", "2027-01-06")
    assert reasons(answer) == [("PROGRAMME_SUSPENDED", "2027-01-05")] and answer["programme"]["status"] == "suspended"


async def test_the_worked_example_through_http(session: ApiSession) -> None:
    await import_document(session.engine, encode(Q_SETUP), OPERATOR)
    await session.recorded()
    headers = await session.bearer()

    async def ask(day: str, end: str | None = None, known_at: dt.datetime | None = None) -> dict[str, Any]:
        claim = {"programme_code": "Q", "coach_registration_number": "C-Q", "service_date": day}
        if end:
            claim["service_end_date"] = end
        if known_at:
            claim["as_known_at"] = known_at.isoformat()
        response = await session.http.post("/api/v1/verifications", json=claim, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    for day, end, expected in EXAMPLE:
        answer = await ask(day, end)
        assert reasons(answer) == expected, day
    below = await ask("2027-01-01")
    # The status stays the accreditation's own: the programme is accredited, its design is what falls short.
    assert below["programme"]["status"] == "accredited" and below["accredited"] is False
    before_v2 = await later(session.engine, VERSION_2)
    await session.recorded()
    for day, end, expected in WITH_VERSION_2:
        assert reasons(await ask(day, end)) == expected, day
    assert reasons(await ask("2027-03-01", known_at=before_v2)) == [("PROGRAMME_BELOW_CARE_STANDARD", "2027-03-01")]
    await later(session.engine, SUSPEND)
    await session.recorded()
    assert reasons(await ask("2027-01-05", "2027-01-06")) == [("PROGRAMME_SUSPENDED", "2027-01-05")]


def test_the_worked_example_through_the_command_line(database_url: str, tmp_path: Any) -> None:
    env = {**os.environ, "REGISTRY_DATABASE_URL": database_url}

    def registry(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "registry.cli", *args], env=env, capture_output=True, text=True, timeout=120)

    for name, document in (("q.json", Q_SETUP), ("v2.json", VERSION_2)):
        (tmp_path / name).write_text(json.dumps(document))
    assert registry("import", str(tmp_path / "q.json")).returncode == 0
    for day, end, expected in EXAMPLE:
        done = registry("verify", "--programme", "Q", "--coach", "C-Q", "--date", day, *(["--end-date", end] if end else []), "--json")
        assert done.returncode == 0, done.stderr
        assert reasons(json.loads(done.stdout)) == expected, day
    assert registry("import", str(tmp_path / "v2.json")).returncode == 0
    for day, _end, expected in WITH_VERSION_2:
        done = registry("verify", "--programme", "Q", "--coach", "C-Q", "--date", day, "--json")
        assert reasons(json.loads(done.stdout)) == expected, day


# --- design histories in import files ----------------------------------------------------------------------


async def design_rows(engine: Any) -> list[dict[str, Any]]:
    async with reading(engine) as reader:
        return await reader.fetch_all("SELECT effective_from, sessions, contact_minutes, override_reason FROM programme_design ORDER BY id")


async def test_designs_are_appended_once_and_reimporting_changes_nothing(engine: Any) -> None:
    await import_document(engine, encode(Q_SETUP), OPERATOR)
    first = await import_document(engine, encode(VERSION_2), OPERATOR)
    assert first.applied
    again = await import_document(engine, encode(VERSION_2), OPERATOR)
    assert again.applied is False
    rows = await design_rows(engine)
    assert [(r["effective_from"], r["sessions"], r["contact_minutes"]) for r in rows] == [
        (dt.date(1, 1, 1), 6, 150), (dt.date(2027, 3, 1), 8, 240)]
    # The whole setup again, top level included, is still a no-op: its values are the design in force today.
    assert (await import_document(engine, encode(Q_SETUP), OPERATOR)).applied is False


async def test_a_top_level_design_differing_from_today_is_refused_pointing_at_designs(engine: Any) -> None:
    await import_document(engine, encode(Q_SETUP), OPERATOR)
    changed = {"programmes": [{"code": "Q", "sessions": 9, "contact_minutes": 270}]}
    with pytest.raises(ValidationFailed) as refused:
        await import_document(engine, encode(changed), OPERATOR)
    [error] = refused.value.errors
    assert error.field == "programmes[0].designs" and "designs" in error.message and "6 sessions" in error.message
    assert len(await design_rows(engine)) == 1


async def test_empty_strings_and_nulls_in_optional_fields_mean_absent(engine: Any) -> None:
    old_export = {
        "organisations": [{"code": "O-OLD", "name": "  Oude Praktijk  ", "kvk_number": "", "agb_code": None, "city": " "}],
        "coaches": [{"registration_number": "C-OLD", "initials": "P.", "prefix": "", "surname": "Smit", "email": "", "phone": None}],
    }
    report = await import_document(engine, encode(old_export), OPERATOR)
    assert report.created["coaches"] == 1
    async with reading(engine) as reader:
        coach = await reader.fetch_row("SELECT prefix, email, phone FROM coach WHERE registration_number = 'C-OLD'")
        organisation = await reader.fetch_row("SELECT name, kvk_number, city FROM organisation WHERE code = 'O-OLD'")
    assert coach == {"prefix": None, "email": None, "phone": None}
    assert organisation == {"name": "Oude Praktijk", "kvk_number": None, "city": None}


async def test_a_lower_design_for_an_accredited_programme_is_refused_naming_the_shortfall(engine: Any) -> None:
    await open_transition(engine)
    good = {**Q_SETUP, "programmes": [{**Q_SETUP["programmes"][0], "sessions": 8, "contact_minutes": 240}]}
    await import_document(engine, encode(good), OPERATOR)
    lower = {"programmes": [{"code": "Q", "designs": [{"effective_from": "2026-12-01", "sessions": 5, "contact_minutes": 120}]}]}
    with pytest.raises(ValidationFailed) as refused:
        await import_document(engine, encode(lower), OPERATOR)
    [error] = refused.value.errors
    assert error.field == "programmes[0].designs[0].sessions" and error.code == "care_standard"
    assert "5 sessions where the minimum is 7" in error.message and "120 contact minutes where the minimum is 180" in error.message
    # In the transition an admin may override it with a written reason; an editor may not.
    overridden = {"programmes": [{"code": "Q", "designs": [{**lower["programmes"][0]["designs"][0], "override_reason": "Pilot 2026"}]}]}
    with pytest.raises(ValidationFailed) as by_editor:
        await import_document(engine, encode(overridden), EDITOR)
    assert "Only an admin" in by_editor.value.errors[0].in_language(lambda text: text)
    await import_document(engine, encode(overridden), OPERATOR)
    assert (await design_rows(engine))[-1]["override_reason"] == "Pilot 2026"


async def test_a_grant_is_checked_against_the_design_in_force_on_its_first_day(engine: Any) -> None:
    setup = {**Q_SETUP, "decisions": Q_SETUP["decisions"][:2],
             "programmes": [{**Q_SETUP["programmes"][0], "designs": [{"effective_from": "2026-06-01", "sessions": 8, "contact_minutes": 240}]}]}
    await import_document(engine, encode(setup), OPERATOR)
    early = {"decisions": [{"subject": "programme", "code": "Q", "kind": "grant", "valid_from": "2026-02-01", "reference": "Q-E"}]}
    with pytest.raises(ValidationFailed) as refused:
        await import_document(engine, encode(early), OPERATOR)
    assert refused.value.errors[0].field == "decisions[0].valid_from" and "6 sessions" in refused.value.errors[0].message
    on_time = {"decisions": [{"subject": "programme", "code": "Q", "kind": "grant", "valid_from": "2026-06-01", "reference": "Q-T"}]}
    assert (await import_document(engine, encode(on_time), OPERATOR)).decisions_recorded == 1
