"""Reading a decision from plain values: the fields of its kind, each problem under its JSON path."""

from __future__ import annotations

import datetime as dt

from registry.rules import DecisionKind, SubjectKind
from registry.services.errors import FieldError
from registry.services.staff.decisions import DecisionRequest, read_decision


def read(**values: object) -> tuple[DecisionRequest | None, list[tuple[str, str]]]:
    errors: list[FieldError] = []
    request = read_decision({"subject": "programme", "code": "p-1", "reference": "SKZ-1", **values}, "decisions[3]", errors)
    return request, [(error.field, error.code) for error in errors]


def test_each_kind_reads_its_own_fields_into_the_generic_ones() -> None:
    grant, _ = read(kind="grant", valid_from="2026-01-01", valid_until="2026-12-31", override_reason="Overgang")
    assert grant == DecisionRequest(SubjectKind.PROGRAMME, "P-1", DecisionKind.GRANT, "SKZ-1", dt.date(2026, 1, 1), dt.date(2026, 12, 31),
                                    override_reason="Overgang", path="decisions[3]")
    lift, _ = read(kind="lift", date="2026-02-01", suspension="SKZ-0")
    assert (lift.starts_on, lift.ends_on, lift.target) == (dt.date(2026, 2, 1), None, "SKZ-0")
    retract, _ = read(kind="retract", target="SKZ-0", reason="Verkeerd")
    assert (retract.starts_on, retract.target, retract.reason) == (None, "SKZ-0", "Verkeerd")


def test_problems_are_named_by_path_and_nothing_is_read() -> None:
    assert read(kind="revoke") == (None, [("decisions[3].effective", "required")])
    assert read(kind="revoke", effective="2026-01-01", valid_from="2026-01-01", colour="red") == (
        None, [("decisions[3].valid_from", "unknown_field"), ("decisions[3].colour", "unknown_field")])
    assert read(kind="suspend", **{"from": "2026-03-01", "until": "2026-02-01"}) == (
        None, [("decisions[3].until", "period_ends_before_start")])
    assert read(kind="lift", date="2026-02-30", suspension="S") == (None, [("decisions[3].date", "invalid")])
    assert read(kind="approve") == (None, [("decisions[3].kind", "invalid")])
