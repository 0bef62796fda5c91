"""Verifying claims against the stored registry, including the worked examples of rules.md."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest

from registry.services.errors import ValidationFailed
from registry.services.imports.plan import import_document
from registry.services.sql import reading
from registry.services.verification.answer import parse_claim, verify
from tests.functional.helpers import OPERATOR, encode

SETUP = {
    "organisations": [
        {"code": "O-1", "name": "Rookvrij Zeist", "agb_code": "01010101"},
        {"code": "O-2", "name": "Instituut Stoppen", "city": "Utrecht"},
    ],
    "trainings": [{"code": "T", "name": "SMR-coach", "organisation": "O-2", "guidance_types": ["intensive"], "formats": ["group"]}],
    "programmes": [{"code": "P", "name": "Samen Stoppen", "organisation": "O-1", "guidance_type": "intensive", "format": "group", "sessions": 8, "contact_minutes": 300}],
    "coaches": [
        {"registration_number": "C", "initials": "J.", "prefix": "de", "surname": "Vries", "agb_code": "00000042"},
        {"registration_number": "C2", "initials": "A.", "surname": "Bakker"},
    ],
    "qualifications": [
        {"coach": "C", "training": "T", "completed_on": "2023-05-01"},
        {"coach": "C2", "training": "T", "completed_on": "2024-01-15"},
    ],
    "decisions": [
        {"subject": "training", "code": "T", "kind": "grant", "valid_from": "2020-01-01", "valid_until": "2023-12-31", "reference": "T-G"},
        {"subject": "coach", "code": "C", "kind": "grant", "valid_from": "2020-01-01", "reference": "C-G"},
        {"subject": "coach", "code": "C2", "kind": "grant", "valid_from": "2020-01-01", "reference": "C2-G"},
    ],
}
P_DECISIONS = [
    {"subject": "programme", "code": "P", "kind": "grant", "valid_from": "2024-02-01", "valid_until": "2025-01-31", "reference": "D1"},
    {"subject": "programme", "code": "P", "kind": "suspend", "from": "2024-06-10", "until": "2024-07-31", "reference": "D2"},
    {"subject": "programme", "code": "P", "kind": "lift", "date": "2024-07-01", "suspension": "D2", "reference": "D3"},
    {"subject": "programme", "code": "P", "kind": "revoke", "effective": "2024-11-01", "reference": "D4"},
    {"subject": "programme", "code": "P", "kind": "grant", "valid_from": "2025-03-01", "valid_until": "2026-02-28", "reference": "D5"},
]


async def record(engine: Any, *decisions: dict[str, Any]) -> dt.datetime:
    """Record decisions in their own import; returns a moment after they were recorded."""
    await import_document(engine, encode({"decisions": list(decisions)}), OPERATOR)
    await asyncio.sleep(0.01)
    moment = dt.datetime.now(dt.timezone.utc)
    await asyncio.sleep(0.01)
    return moment


@pytest.fixture
async def example(engine: Any) -> dict[str, dt.datetime]:
    """The worked example of rules.md, one decision recorded at a time."""
    await import_document(engine, encode(SETUP), OPERATOR)
    return {f"after_{i}": await record(engine, decision) for i, decision in enumerate(P_DECISIONS, start=1)}


async def check(engine: Any, **fields: Any) -> dict[str, Any]:
    raw = {"programme_code": "P", "coach_registration_number": "C", **fields}
    return await verify(engine, parse_claim(raw))


def codes(answer: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in answer["reasons"]]


@pytest.mark.parametrize(
    ("day", "status"),
    [
        ("2024-01-31", "not_yet_accredited"),
        ("2024-02-01", "accredited"),
        ("2024-06-30", "suspended"),
        ("2024-07-01", "accredited"),
        ("2024-11-01", "revoked"),
        ("2025-02-15", "revoked"),
        ("2025-03-01", "accredited"),
        ("2026-03-01", "expired"),
    ],
)
async def test_worked_example_statuses(engine: Any, example: dict[str, dt.datetime], day: str, status: str) -> None:
    answer = await check(engine, service_date=day)
    assert answer["programme"]["status"] == status
    assert answer["accredited"] is (status == "accredited")


async def test_as_known_between_lift_and_revoke(engine: Any, example: dict[str, dt.datetime]) -> None:
    answer = await check(engine, service_date="2024-11-01", as_known_at=example["after_3"].isoformat())
    assert answer["accredited"] is True and answer["programme"]["status"] == "accredited"
    assert answer["as_known_at"] == example["after_3"].isoformat().replace("+00:00", "Z")


async def test_retracting_the_lift_restores_the_suspension_from_then_on(engine: Any, example: dict[str, dt.datetime]) -> None:
    before_retraction = dt.datetime.now(dt.timezone.utc)
    await asyncio.sleep(0.01)
    await record(engine, {"subject": "programme", "code": "P", "kind": "retract", "target": "D3", "reference": "D6"})
    assert codes(await check(engine, service_date="2024-07-15")) == ["PROGRAMME_SUSPENDED"]
    earlier = await check(engine, service_date="2024-07-15", as_known_at=before_retraction.isoformat())
    assert earlier["accredited"] is True


async def test_period_names_its_first_failing_day(engine: Any, example: dict[str, dt.datetime]) -> None:
    answer = await check(engine, service_date="2024-06-01", service_end_date="2024-06-30")
    assert answer["reasons"] == [{"code": "PROGRAMME_SUSPENDED", "subject": "programme", "on": "2024-06-10"}]
    assert answer["programme"]["status"] == "suspended"
    assert answer["programme"]["accreditation"] == {"valid_from": "2024-02-01", "valid_until": "2025-01-31", "reference": "D1"}


async def test_qualification_needs_a_training_accredited_on_the_completion_date(engine: Any, example: dict[str, dt.datetime]) -> None:
    qualified = await check(engine, service_date="2025-06-01")
    assert qualified["coach"]["qualified"] is True and qualified["accredited"] is True
    unqualified = await check(engine, service_date="2025-06-01", coach_registration_number="C2")
    assert codes(unqualified) == ["COACH_NOT_QUALIFIED"]
    assert unqualified["coach"]["qualified"] is False


async def test_unknown_subjects_answer_with_reasons_not_errors(engine: Any, example: dict[str, dt.datetime]) -> None:
    answer = await check(engine, programme_code="P-404", coach_registration_number="C-404", service_date="2025-06-01")
    assert codes(answer) == ["PROGRAMME_UNKNOWN", "COACH_UNKNOWN"]
    assert answer["programme"] is None and answer["coach"] is None


async def test_coach_by_agb_code_and_codes_in_any_case(engine: Any, example: dict[str, dt.datetime]) -> None:
    answer = await verify(engine, parse_claim({"programme_code": "p", "coach_agb_code": "00000042", "service_date": "2025-06-01", "reference": "claim-1"}))
    assert answer["accredited"] is True
    assert answer["coach"]["registration_number"] == "C" and answer["coach"]["name"] == "J. de Vries"
    assert answer["programme"]["provider"] == {"code": "O-1", "name": "Rookvrij Zeist", "agb_code": "01010101"}
    assert answer["reference"] == "claim-1" and answer["data_version"] == 8


async def test_every_answer_is_stored(engine: Any, example: dict[str, dt.datetime]) -> None:
    answer = await check(engine, service_date="2024-06-30")
    async with reading(engine) as reader:
        stored = await reader.fetch_one("SELECT * FROM verification WHERE verification_id = ?", answer["verification_id"])
    assert stored is not None and stored["accredited"] is False
    assert json.loads(stored["result"]) == answer
    assert json.loads(stored["request"])["service_date"] == "2024-06-30"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"coach_registration_number": "C", "service_date": "2025-06-01"}, "programme_code"),
        ({"programme_code": "P", "service_date": "2025-06-01"}, "coach_registration_number"),
        ({"programme_code": "P", "coach_registration_number": "C", "coach_agb_code": "00000042", "service_date": "2025-06-01"}, "coach_registration_number"),
        ({"programme_code": "P", "coach_agb_code": "42", "service_date": "2025-06-01"}, "coach_agb_code"),
        ({"programme_code": "P", "coach_registration_number": "C", "service_date": "01-06-2025"}, "service_date"),
        ({"programme_code": "P", "coach_registration_number": "C", "service_date": "2025-06-01", "service_end_date": "2025-05-31"}, "service_end_date"),
        ({"programme_code": "P", "coach_registration_number": "C", "service_date": "2025-01-01", "service_end_date": "2026-01-02"}, "service_end_date"),
        ({"programme_code": "P", "coach_registration_number": "C", "service_date": "2025-06-01", "as_known_at": "2999-01-01T00:00:00Z"}, "as_known_at"),
        ({"programme_code": "P", "coach_registration_number": "C", "service_date": "2025-06-01", "as_known_at": "2025-01-01T00:00:00"}, "as_known_at"),
        ({"programme_code": "P", "coach_registration_number": "C", "service_date": "2025-06-01", "patient_name": "X"}, "patient_name"),
        ({"programme_code": "P", "coach_registration_number": "C", "service_date": "2025-06-01", "reference": "x" * 65}, "reference"),
    ],
)
def test_bad_claims_are_refused_with_the_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_claim(raw)
    assert field in [error.field for error in refused.value.errors]


def test_a_full_leap_year_is_a_valid_period() -> None:
    claim = parse_claim({"programme_code": "P", "coach_registration_number": "C", "service_date": "2024-01-01", "service_end_date": "2024-12-31"})
    assert (claim.service_end_date - claim.service_date).days == 365
