"""Every way an import file can be wrong: each is reported with its JSON path and writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import pytest

from registry.services.errors import ValidationFailed
from registry.services.imports.plan import import_document
from tests.functional.helpers import EDITOR, OPERATOR, document, encode, snapshot

NEW_ORGANISATION = {"code": "O-000099", "name": "Nieuwe Aanbieder", "city": "Leeuwarden"}


def with_decisions(*decisions: dict[str, Any]) -> dict[str, Any]:
    """A file with only these decisions (the base records are already stored)."""
    return {"organisations": [NEW_ORGANISATION], "decisions": list(decisions)}


def mutate(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The base document with one change applied and a valid new organisation added."""
    result = document()
    result["organisations"].append(NEW_ORGANISATION)
    change(result)
    return result


def setter(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


LIFT_OF_GRANT = {"subject": "coach", "code": "C-000123", "kind": "lift", "date": "2026-05-01", "suspension": "SKZ-2024-0100", "reference": "L-1"}
RETRACT = {"subject": "coach", "code": "C-000123", "kind": "retract", "target": "SKZ-2026-0102", "reference": "R-1"}

CASES: list[tuple[str, Any, str, str]] = [
    ("invalid JSON", b"{not json", "$", "invalid_json"),
    ("not an object", b"[]", "$", "invalid"),
    ("unknown section", {"persons": []}, "persons", "unknown_field"),
    ("section not a list", {"coaches": {"registration_number": "C-1"}}, "coaches", "invalid"),
    ("unknown field (patient data)", mutate(setter(["coaches", 0, "bsn"], "123456782")), "coaches[0].bsn", "unknown_field"),
    ("bad code", mutate(setter(["organisations", 0, "code"], "O 12")), "organisations[0].code", "invalid"),
    ("KvK number of 7 digits", mutate(setter(["organisations", 0, "kvk_number"], "1234567")), "organisations[0].kvk_number", "invalid"),
    ("AGB code as a number", mutate(setter(["coaches", 0, "agb_code"], 87654321)), "coaches[0].agb_code", "invalid"),
    ("impossible date", mutate(setter(["decisions", 1, "valid_until"], "2028-02-30")), "decisions[1].valid_until", "invalid"),
    ("grant ends before it starts", mutate(setter(["decisions", 1, "valid_until"], "2025-08-31")), "decisions[1].valid_until", "period_ends_before_start"),
    ("suspension ends before it starts", mutate(setter(["decisions", 3, "until"], "2026-03-01")), "decisions[3].until", "period_ends_before_start"),
    ("unknown guidance type", mutate(setter(["programmes", 0, "guidance_type"], "long")), "programmes[0].guidance_type", "invalid"),
    ("sessions not a number", mutate(setter(["programmes", 0, "sessions"], "8")), "programmes[0].sessions", "invalid"),
    ("field of another kind", with_decisions({"subject": "coach", "code": "C-000123", "kind": "grant", "valid_from": "2027-01-01", "effective": "2027-01-01", "reference": "G-9"}), "decisions[0].effective", "unknown_field"),
    ("grant without valid_from", with_decisions({"subject": "coach", "code": "C-000123", "kind": "grant", "reference": "G-9"}), "decisions[0].valid_from", "required"),
    ("decision without reference", with_decisions({"subject": "coach", "code": "C-000123", "kind": "revoke", "effective": "2027-01-01"}), "decisions[0].reference", "required"),
    ("lift target missing", with_decisions({**LIFT_OF_GRANT, "suspension": "SKZ-0000-0000"}), "decisions[0].suspension", "target_missing"),
    ("lift target is a grant", with_decisions(LIFT_OF_GRANT), "decisions[0].suspension", "target_not_suspension"),
    ("lift target of another subject", with_decisions({**LIFT_OF_GRANT, "suspension": "SKZ-2025-0031"}), "decisions[0].suspension", "target_missing"),
    ("retract target missing", with_decisions({**RETRACT, "target": "SKZ-0000-0000"}), "decisions[0].target", "target_missing"),
    ("retract of a retraction", with_decisions(RETRACT, {**RETRACT, "target": "R-1", "reference": "R-2"}), "decisions[1].target", "target_is_retraction"),
    ("retract twice", with_decisions(RETRACT, {**RETRACT, "reference": "R-2"}), "decisions[1].target", "target_retracted"),
    ("reference already used differently", with_decisions({"subject": "programme", "code": "P-000045", "kind": "grant", "valid_from": "2025-09-01", "valid_until": "2029-08-31", "reference": "SKZ-2025-0031"}), "decisions[0].reference", "reference_conflict"),
    ("unknown subject", with_decisions({"subject": "programme", "code": "P-999999", "kind": "revoke", "effective": "2027-01-01", "reference": "X-1"}), "decisions[0].code", "unknown_subject"),
    ("subject of the wrong kind", with_decisions({"subject": "coach", "code": "P-000045", "kind": "revoke", "effective": "2027-01-01", "reference": "X-1"}), "decisions[0].code", "unknown_subject"),
    ("unknown organisation", mutate(setter(["programmes", 0, "organisation"], "O-404")), "programmes[0].organisation", "unknown_reference"),
    ("qualification of an unknown training", mutate(setter(["qualifications", 0, "training"], "T-404")), "qualifications[0].training", "unknown_reference"),
    ("new coach without surname", {"coaches": [{"registration_number": "C-000999", "initials": "A."}]}, "coaches[0].surname", "required"),
    ("duplicate code in the file", {"coaches": [{"registration_number": "C-000999", "initials": "A.", "surname": "Smit"}, {"registration_number": "c-000999", "initials": "B.", "surname": "Smit"}]}, "coaches[1].registration_number", "duplicate"),
    ("AGB code of another coach", {"coaches": [{"registration_number": "C-000999", "initials": "A.", "surname": "Smit", "agb_code": "87654321"}]}, "coaches[0].agb_code", "agb_code_taken"),
    ("care standard refuses a 2026 grant", {"programmes": [{"code": "P-000046", "name": "Kort", "organisation": "O-000012", "guidance_type": "intensive", "format": "individual", "sessions": 6, "contact_minutes": 150}],
                                            "decisions": [{"subject": "programme", "code": "P-000046", "kind": "grant", "valid_from": "2026-02-01", "reference": "G-1"}]}, "decisions[0].valid_from", "care_standard"),
]


@pytest.mark.parametrize(("content", "field", "code"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
async def test_refused_file_reports_path_and_writes_nothing(engine: Any, content: Any, field: str, code: str) -> None:
    await import_document(engine, encode(document()), OPERATOR)
    before = await snapshot(engine)
    raw = content if isinstance(content, bytes) else encode(content)
    with pytest.raises(ValidationFailed) as refused:
        await import_document(engine, raw, OPERATOR)
    assert (field, code) in [(error.field, error.code) for error in refused.value.errors]
    assert await snapshot(engine) == before


async def test_every_error_is_reported_at_once(engine: Any) -> None:
    broken = document()
    broken["organisations"][0]["kvk_number"] = "12"
    broken["coaches"][0]["agb_code"] = "abc"
    broken["decisions"][1]["valid_until"] = "2020-01-01"
    with pytest.raises(ValidationFailed) as refused:
        await import_document(engine, encode(broken), OPERATOR)
    fields = {error.field for error in refused.value.errors}
    assert {"organisations[0].kvk_number", "coaches[0].agb_code", "decisions[1].valid_until"} <= fields
    assert all(rows == [] for rows in (await snapshot(engine)).values())


async def test_only_an_admin_may_override_the_care_standard(engine: Any) -> None:
    await import_document(engine, encode(document()), OPERATOR)
    content = encode(
        {
            "programmes": [{"code": "P-000046", "name": "Kort", "organisation": "O-000012", "guidance_type": "intensive", "format": "individual", "sessions": 6, "contact_minutes": 150}],
            "decisions": [{"subject": "programme", "code": "P-000046", "kind": "grant", "valid_from": "2026-02-01", "reference": "G-1", "override_reason": "Overgangsjaar: herontwerp loopt"}],
        }
    )
    before = await snapshot(engine)
    with pytest.raises(ValidationFailed) as refused:
        await import_document(engine, content, EDITOR, now=dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc))
    assert "only an admin may override" in refused.value.errors[0].message
    assert await snapshot(engine) == before


async def test_no_override_from_2027(engine: Any) -> None:
    await import_document(engine, encode(document()), OPERATOR)
    content = encode(
        {
            "programmes": [{"code": "P-000046", "name": "Kort", "organisation": "O-000012", "guidance_type": "short", "format": "group", "sessions": 3, "contact_minutes": 30}],
            "decisions": [{"subject": "programme", "code": "P-000046", "kind": "grant", "valid_from": "2027-02-01", "reference": "G-1", "override_reason": "Graag"}],
        }
    )
    before = await snapshot(engine)
    with pytest.raises(ValidationFailed) as refused:
        await import_document(engine, content, OPERATOR, now=dt.datetime(2027, 1, 1, 0, 30, tzinfo=dt.timezone.utc))
    message = refused.value.errors[0].message
    assert "3 sessions where the minimum is 4" in message and "30 contact minutes where the minimum is 40" in message
    assert "ended on 2027-01-01" in message
    assert await snapshot(engine) == before
