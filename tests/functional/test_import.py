"""Importing documents: what gets created, updated, skipped, and audited."""

from __future__ import annotations

import json
from typing import Any

from registry.services.audit import verify_chain
from registry.services.imports.plan import import_document
from registry.services.sql import reading
from tests.functional.helpers import OPERATOR, document, encode, open_transition, snapshot


async def rows(engine: Any, sql: str, *params: Any) -> list[dict[str, Any]]:
    async with reading(engine) as reader:
        return await reader.fetch_all(sql, *params)


async def test_import_creates_records_decisions_and_audit_events(engine: Any) -> None:
    report = await import_document(engine, encode(document()), OPERATOR)
    assert report.created == {"organisations": 2, "trainings": 1, "programmes": 1, "coaches": 1, "qualifications": 1}
    assert report.decisions_recorded == 4 and report.data_version == 4
    decisions = await rows(engine, "SELECT * FROM decision ORDER BY id")
    assert [d["reference"] for d in decisions] == ["SKZ-2020-0001", "SKZ-2025-0031", "SKZ-2024-0100", "SKZ-2026-0102"]
    assert all(d["recorded_by"] == OPERATOR.name for d in decisions)
    events = await rows(engine, "SELECT action, subject_code, actor FROM audit_event ORDER BY id")
    assert len(events) == 6 + 4 + 1
    assert events[-1]["action"] == "registry:import:apply"
    assert {e["actor"] for e in events} == {OPERATOR.name}
    async with reading(engine) as reader:
        assert await verify_chain(reader) == (11, [])


async def test_reimporting_the_same_file_changes_nothing(engine: Any) -> None:
    await import_document(engine, encode(document()), OPERATOR)
    before = await snapshot(engine)
    report = await import_document(engine, encode(document()), OPERATOR)
    assert report.decisions_skipped == 4 and report.decisions_recorded == 0
    assert sum(report.created.values()) == 0 and sum(report.updated.values()) == 0
    assert await snapshot(engine) == before


async def test_codes_are_matched_case_insensitively_and_stored_upper_case(engine: Any) -> None:
    lower = document()
    lower["coaches"][0]["registration_number"] = "c-000123"
    await import_document(engine, encode(lower), OPERATOR)
    before = await snapshot(engine)
    await import_document(engine, encode(document()), OPERATOR)
    assert await snapshot(engine) == before
    assert before["coach"][0]["registration_number"] == "C-000123"


async def test_update_by_code_changes_only_given_fields_and_audits_before_and_after(engine: Any) -> None:
    await import_document(engine, encode(document()), OPERATOR)
    report = await import_document(engine, encode({"coaches": [{"registration_number": "C-000123", "city": "Zeist"}]}), OPERATOR)
    assert report.updated["coaches"] == 1
    [coach] = await rows(engine, "SELECT * FROM coach")
    assert (coach["city"], coach["surname"], coach["email"], coach["version"]) == ("Zeist", "Vries", "j.devries@example.nl", 2)
    [event] = await rows(engine, "SELECT * FROM audit_event WHERE action = 'registry:coach:update'")
    assert json.loads(event["before_state"]) == {"registration_number": "C-000123", "city": "Utrecht"}
    assert json.loads(event["after_state"]) == {"registration_number": "C-000123", "city": "Zeist"}


async def test_records_without_code_get_new_codes_and_are_matched_on_reimport(engine: Any) -> None:
    await import_document(engine, encode(document()), OPERATOR)
    codeless = {
        "organisations": [{"name": "Rookvrij Leeuwarden", "kvk_number": "55554444", "city": "Leeuwarden"}],
        "coaches": [{"initials": "A.M.", "prefix": "van der", "surname": "Berg", "agb_code": "00001234"}],
    }
    first = await import_document(engine, encode(codeless), OPERATOR)
    assert first.created["organisations"] == 1 and first.created["coaches"] == 1
    codes = await rows(engine, "SELECT code FROM organisation ORDER BY id")
    assert codes[-1]["code"] == "O-000021"
    [coach] = await rows(engine, "SELECT registration_number FROM coach WHERE agb_code = '00001234'")
    assert coach["registration_number"] == "C-000124"
    before = await snapshot(engine)
    await import_document(engine, encode(codeless), OPERATOR)
    assert await snapshot(engine) == before


async def test_lift_and_retract_name_their_target_by_reference(engine: Any) -> None:
    await import_document(engine, encode(document()), OPERATOR)
    follow_up = {
        "decisions": [
            {"subject": "coach", "code": "C-000123", "kind": "lift", "date": "2026-05-01", "suspension": "SKZ-2026-0102", "reference": "SKZ-2026-0150"},
            {"subject": "programme", "code": "P-000045", "kind": "suspend", "from": "2026-01-01", "reference": "SKZ-2026-0200"},
            {"subject": "programme", "code": "P-000045", "kind": "retract", "target": "SKZ-2026-0200", "reference": "SKZ-2026-0201"},
        ]
    }
    report = await import_document(engine, encode(follow_up), OPERATOR)
    assert report.decisions_recorded == 3
    decisions = {d["reference"]: d for d in await rows(engine, "SELECT * FROM decision")}
    assert decisions["SKZ-2026-0150"]["target_id"] == decisions["SKZ-2026-0102"]["id"]
    assert decisions["SKZ-2026-0201"]["target_id"] == decisions["SKZ-2026-0200"]["id"]
    assert decisions["SKZ-2026-0150"]["starts_on"].isoformat() == "2026-05-01"


async def test_dry_run_reports_and_writes_nothing(engine: Any) -> None:
    report = await import_document(engine, encode(document()), OPERATOR, apply=False)
    assert report.applied is False and report.decisions_recorded == 4
    assert all(rows == [] for rows in (await snapshot(engine)).values())


async def test_an_admin_override_in_the_transition_is_stored_on_the_grant(engine: Any) -> None:
    await open_transition(engine)
    await import_document(engine, encode(document()), OPERATOR)
    content = {
        "programmes": [{"code": "P-000046", "name": "Kort", "organisation": "O-000012", "guidance_type": "intensive", "format": "individual", "sessions": 6, "contact_minutes": 150}],
        "decisions": [{"subject": "programme", "code": "P-000046", "kind": "grant", "valid_from": "2026-02-01", "reference": "G-1", "override_reason": "Overgangsjaar"}],
    }
    await import_document(engine, encode(content), OPERATOR)
    [grant] = await rows(engine, "SELECT * FROM decision WHERE reference = 'G-1'")
    assert grant["override_reason"] == "Overgangsjaar"


async def test_grants_before_2026_are_not_checked_against_the_care_standard(engine: Any) -> None:
    await import_document(engine, encode(document()), OPERATOR)
    content = {
        "programmes": [{"code": "P-000047", "name": "Oud", "organisation": "O-000012", "guidance_type": "intensive", "format": "group", "sessions": 2, "contact_minutes": 60}],
        "decisions": [{"subject": "programme", "code": "P-000047", "kind": "grant", "valid_from": "2025-12-31", "reference": "G-2"}],
    }
    report = await import_document(engine, encode(content), OPERATOR)
    assert report.decisions_recorded == 1
