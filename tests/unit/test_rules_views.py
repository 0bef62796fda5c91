"""The rules' derived views: standing on a day, how decisions link, the field table and care-standard refusal reasons."""

from __future__ import annotations

import datetime as dt

import pytest

from registry import rules
from registry.rules import DECISION_FIELDS, DecisionKind, GrantRefusal, Status
from registry.services.staff.ledger import CARE_STANDARD_TEMPLATES, care_standard_error
from tests.unit.test_rules import EXAMPLE, day, grant, lift, retract, revoke, suspend


def test_the_field_table_names_the_fields_of_every_kind() -> None:
    assert set(DECISION_FIELDS) == set(DecisionKind)
    assert DECISION_FIELDS[DecisionKind.GRANT].names == ("valid_from", "valid_until", "override_reason")
    assert DECISION_FIELDS[DecisionKind.SUSPEND].names == ("from", "until")
    assert DECISION_FIELDS[DecisionKind.LIFT].names == ("date", "suspension")
    assert DECISION_FIELDS[DecisionKind.REVOKE].names == ("effective",)
    assert DECISION_FIELDS[DecisionKind.RETRACT].names == ("target",)
    assert [kind for kind, fields in DECISION_FIELDS.items() if fields.start is None] == [DecisionKind.RETRACT]
    assert len(rules.DECISION_KIND_FIELDS) == len(set(rules.DECISION_KIND_FIELDS)) == 9


@pytest.mark.parametrize(
    "on, status, grant_id",
    [("2024-01-31", Status.NOT_YET_ACCREDITED, None), ("2024-06-30", Status.SUSPENDED, 1), ("2024-07-01", Status.ACCREDITED, 1),
     ("2024-11-01", Status.REVOKED, None), ("2025-03-01", Status.ACCREDITED, 5), ("2026-03-01", Status.EXPIRED, None)],
)
def test_standing_is_the_status_and_the_grant_covering_the_day(on: str, status: Status, grant_id: int | None) -> None:
    for decisions in (EXAMPLE, list(EXAMPLE)):  # a cached timeline (tuple) and a fresh one (list) agree
        standing = rules.standing(decisions, day(on))
        assert standing.status is status
        assert (standing.accreditation.id if standing.accreditation else None) == grant_id


def test_standing_as_known_at_a_time_leaves_out_later_decisions() -> None:
    before_revocation = EXAMPLE[3].recorded_at - dt.timedelta(minutes=1)
    assert rules.standing(EXAMPLE, day("2024-12-01"), known_at=before_revocation).status is Status.ACCREDITED
    assert rules.standing(EXAMPLE, day("2024-12-01")).status is Status.REVOKED


def test_a_suspension_lifted_twice_is_ended_by_the_earliest_lift_as_the_timeline_has_it() -> None:
    decisions = [grant(1, "2024-01-01"), suspend(2, "2024-03-01"), lift(3, "2024-05-01", 2), lift(4, "2024-04-01", 2)]
    links = rules.history(decisions)
    assert links.lifted_by[2].id == 4
    assert links.open_suspensions == ()
    assert rules.status_on(decisions, day("2024-04-01")) is Status.ACCREDITED


def test_a_retracted_lift_no_longer_ends_its_suspension() -> None:
    decisions = [grant(1, "2024-01-01"), suspend(2, "2024-03-01"), lift(3, "2024-04-01", 2), retract(4, 3)]
    links = rules.history(decisions)
    assert 2 not in links.lifted_by
    assert [d.id for d in links.open_suspensions] == [2]
    assert rules.standing(decisions, day("2024-05-01")).status is Status.SUSPENDED


def test_retraction_links_and_the_decisions_that_still_count() -> None:
    decisions = [grant(1, "2024-01-01"), revoke(2, "2024-06-01"), retract(3, 2), suspend(4, "2024-07-01")]
    links = rules.history(decisions)
    assert links.retracted_by[2].id == 3 and set(links.retracted_by) == {2}
    assert [d.id for d in links.counting] == [1, 4]
    assert [d.id for d in links.open_suspensions] == [4]


def test_no_decisions_link_nothing() -> None:
    links = rules.history([])
    assert links.counting == () and links.retracted_by == {} and links.lifted_by == {} and links.open_suspensions == ()


def grant_check(sessions: int, override: str | None, admin: bool, recorded_on: str = "2026-06-01") -> rules.GrantCheck:
    return rules.check_programme_grant("short", "group", sessions, 40, day("2026-02-01"), day(recorded_on), override, admin)


@pytest.mark.parametrize(
    "check, refusal, words",
    [
        (grant_check(2, None, True), GrantRefusal.BELOW_MINIMUM, "minimum is 4 sessions and 40 minutes."),
        (grant_check(2, "Overgang", False), GrantRefusal.ADMIN_ONLY, "Only an admin may override this."),
        (grant_check(2, "Overgang", True, recorded_on="2027-01-01"), GrantRefusal.OVERRIDE_ENDED, "The transition override ended on 2027-01-01"),
    ],
)
def test_a_refusal_carries_its_reason_and_the_message_follows_it(check: rules.GrantCheck, refusal: GrantRefusal, words: str) -> None:
    assert check.refused and check.refusal is refusal
    error = care_standard_error("decisions[0].valid_from", check, day("2026-02-01"))
    assert error.code == "care_standard" and error.template == CARE_STANDARD_TEMPLATES[refusal]
    assert words in error.in_language(lambda text: text)


def test_every_refusal_has_a_message_and_an_allowed_grant_has_no_refusal() -> None:
    assert set(CARE_STANDARD_TEMPLATES) == set(GrantRefusal) == set(rules.REFUSAL_NOTES)
    allowed = grant_check(2, "Overgang", True)
    assert not allowed.refused and allowed.refusal is None and allowed.message == ""
    assert grant_check(4, None, False).refusal is None

def test_what_a_new_lift_or_retraction_may_name() -> None:
    decisions = [grant(1, "2024-01-01"), suspend(2, "2024-03-01"), lift(3, "2024-04-01", 2), suspend(5, "2024-06-01"),
                 revoke(6, "2024-09-01"), retract(7, 6)]
    links = rules.history(decisions)
    # A lift names a suspension no counting lift ends yet; a retraction names any counting decision but a retraction.
    assert [d.id for d in links.choices(DecisionKind.LIFT)] == [5] == [d.id for d in links.open_suspensions]
    assert [d.id for d in links.choices(DecisionKind.RETRACT)] == [1, 2, 3, 5]
    assert all(not links.choices(kind) for kind, fields in DECISION_FIELDS.items() if not fields.target)
