"""The status today in one sentence: which decision makes it, from and to which day; what a void decision publishes."""

from __future__ import annotations

import pytest

from registry import rules
from registry.rules import DecisionKind, Status
from tests.unit.test_rules import EXAMPLE, day, grant, retract, revoke, suspend


@pytest.mark.parametrize(
    "on, status, decision, since, until",
    [
        ("2024-01-31", Status.NOT_YET_ACCREDITED, 1, "2024-02-01", "2024-10-31"),  # the revocation cuts the coming grant
        ("2024-06-30", Status.SUSPENDED, 2, "2024-06-10", "2024-06-30"),  # lifted from 1 July: its last day is 30 June
        ("2024-07-01", Status.ACCREDITED, 1, "2024-02-01", "2024-10-31"),
        ("2024-11-01", Status.REVOKED, 4, "2024-11-01", None),
        ("2025-03-01", Status.ACCREDITED, 5, "2025-03-01", "2026-02-28"),
        ("2026-03-01", Status.EXPIRED, 5, "2025-03-01", "2026-02-28"),
    ],
)
def test_the_cause_names_the_decision_and_the_days_of_the_status(on: str, status: Status, decision: int, since: str,
                                                                  until: str | None) -> None:
    cause = rules.status_cause(EXAMPLE, day(on))
    assert cause.status is status and cause.decision is not None and cause.decision.id == decision
    assert cause.since == day(since) and cause.until == (day(until) if until else None)


def test_an_open_suspension_runs_until_lifted_and_no_grant_has_no_cause() -> None:
    open_suspension = (grant(1, "2025-01-01"), suspend(2, "2026-11-01"))
    cause = rules.status_cause(open_suspension, day("2026-12-01"))
    assert (cause.status, cause.decision and cause.decision.id, cause.since, cause.until) == (Status.SUSPENDED, 2, day("2026-11-01"), None)
    assert rules.status_cause((), day("2026-12-01")) == rules.StatusCause(Status.NOT_ACCREDITED, None, None, None)


def test_a_retracted_revocation_no_longer_causes_anything_and_its_reason_is_not_public() -> None:
    decisions = (grant(1, "2025-01-01"), revoke(2, "2026-03-01"), retract(3, 2))
    cause = rules.status_cause(decisions, day("2026-12-01"))
    assert cause.status is Status.ACCREDITED and cause.decision is not None and cause.decision.id == 1
    links = rules.history(decisions)
    assert links.retracted_by[2].id == 3
    assert rules.reason_is_public(DecisionKind.REVOKE, True) and not rules.reason_is_public(DecisionKind.REVOKE, True, void=True)
    assert rules.reason_is_public(DecisionKind.REVOKE, None) and not rules.reason_is_public(DecisionKind.REVOKE, None, void=True)
