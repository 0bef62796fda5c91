"""The care standard on the days of care (docs/rules.md): design versions, the care-standard record, the day rule,
the recording checks with the transition override, and the four ways a programme below the standard stayed accredited."""

from __future__ import annotations

import datetime as dt

import pytest

from registry import rules
from registry.rules import (
    CareStandard,
    CareStandardDates,
    CoachFacts,
    Decision,
    DecisionKind,
    DesignVersion,
    GrantCheckOutcome,
    GrantRefusal,
    ProgrammeFacts,
    QualificationFacts,
    ReasonCode,
    ScopeVersion,
    TrainingFacts,
    verify_claim,
)

BASE = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


GRANT_2024 = Decision(1, DecisionKind.GRANT, moment("2024-01-01T09:00"), day("2024-01-01"))
TRAINING = TrainingFacts(frozenset({"short", "intensive"}), frozenset({"individual", "group"}), (GRANT_2024,))
COACH = CoachFacts((GRANT_2024,), (QualificationFacts(day("2024-06-01"), moment("2024-01-01T09:00"), TRAINING),))
V1 = DesignVersion(rules.EARLIEST_DAY, 6, 150, moment("2024-01-01T09:00"), 1)
V2 = DesignVersion(day("2027-03-01"), 8, 240, moment("2027-02-01T09:00"), 2)


def q(*designs: DesignVersion, decisions: tuple[Decision, ...] = (GRANT_2024,)) -> ProgrammeFacts:
    """Programme Q of the worked example: intensive, individual."""
    return ProgrammeFacts("intensive", "individual", decisions, designs or (V1,))


def reasons(programme: ProgrammeFacts, first: str, last: str | None = None, known_at: dt.datetime | None = None,
            standard: CareStandard = rules.DEFAULT_CARE_STANDARD) -> list[tuple[ReasonCode, dt.date]]:
    verdict = verify_claim(programme, COACH, day(first), day(last) if last else None, known_at, standard)
    return [(reason.code, reason.on) for reason in verdict.reasons]


# --- the worked examples ----------------------------------------------------------------------------


def test_2026_is_the_transition_and_from_2027_the_design_counts() -> None:
    assert reasons(q(), "2026-06-01") == []
    assert reasons(q(), "2027-01-01") == [(ReasonCode.PROGRAMME_BELOW_CARE_STANDARD, day("2027-01-01"))]
    assert reasons(q(), "2026-12-20", "2027-01-10") == [(ReasonCode.PROGRAMME_BELOW_CARE_STANDARD, day("2027-01-01"))]


def test_a_new_design_version_counts_from_its_first_day_and_only_as_known_after_it_was_recorded() -> None:
    both = q(V1, V2)
    assert reasons(both, "2027-02-15") == [(ReasonCode.PROGRAMME_BELOW_CARE_STANDARD, day("2027-02-15"))]
    assert reasons(both, "2027-03-01") == []
    before_v2 = V2.recorded_at - dt.timedelta(seconds=1)
    assert reasons(both, "2027-03-01", known_at=before_v2) == [(ReasonCode.PROGRAMME_BELOW_CARE_STANDARD, day("2027-03-01"))]


def test_a_suspension_before_the_shortfall_shows_as_the_suspension() -> None:
    suspended = q(decisions=(GRANT_2024, Decision(2, DecisionKind.SUSPEND, moment("2026-12-01T09:00"), day("2027-01-05"))))
    assert reasons(suspended, "2027-01-05", "2027-01-06") == [(ReasonCode.PROGRAMME_SUSPENDED, day("2027-01-05"))]
    # Before the suspension the programme was accredited but below the standard: that day comes first.
    assert reasons(suspended, "2027-01-02", "2027-01-06") == [(ReasonCode.PROGRAMME_BELOW_CARE_STANDARD, day("2027-01-02"))]


def test_below_the_standard_comes_after_not_accredited_in_the_reason_order() -> None:
    order = list(ReasonCode)
    assert order.index(ReasonCode.PROGRAMME_BELOW_CARE_STANDARD) == order.index(ReasonCode.PROGRAMME_NOT_ACCREDITED) + 1
    assert order.index(ReasonCode.PROGRAMME_BELOW_CARE_STANDARD) < order.index(ReasonCode.COACH_UNKNOWN)


def test_a_programme_that_is_not_accredited_keeps_its_status_reason() -> None:
    ended = q(decisions=(Decision(1, DecisionKind.GRANT, moment("2024-01-01T09:00"), day("2024-01-01"), day("2026-12-31")),))
    assert reasons(ended, "2027-02-01") == [(ReasonCode.PROGRAMME_EXPIRED, day("2027-02-01"))]


# --- the four holes (each of these passed on the registry before the day rule) -------------------


def test_an_override_recorded_in_2026_for_an_open_ended_grant_stops_counting_in_2027() -> None:
    check = rules.check_programme_grant("intensive", "individual", 6, 150, day("2026-12-30"), day("2026-12-30"), "Overgangsjaar", True)
    assert check.outcome is GrantCheckOutcome.OVERRIDDEN
    overridden = q(decisions=(Decision(1, DecisionKind.GRANT, moment("2026-12-30T09:00"), day("2026-12-30")),))
    assert reasons(overridden, "2026-12-31") == []
    assert reasons(overridden, "2027-01-01") == [(ReasonCode.PROGRAMME_BELOW_CARE_STANDARD, day("2027-01-01"))]


def test_a_grant_backdated_to_before_2026_and_recorded_in_2027_fails_on_its_days_from_2027() -> None:
    backdated = Decision(1, DecisionKind.GRANT, moment("2027-02-01T09:00"), day("2025-12-31"))
    assert rules.check_programme_grant("intensive", "individual", 6, 150, day("2025-12-31"), day("2027-02-01"), None, False).outcome \
        is GrantCheckOutcome.NOT_CHECKED
    assert reasons(q(decisions=(backdated,)), "2027-02-01") == [(ReasonCode.PROGRAMME_BELOW_CARE_STANDARD, day("2027-02-01"))]


def test_an_old_register_grant_is_reassessed_on_its_days_from_2027() -> None:
    old = Decision(1, DecisionKind.GRANT, moment("2019-05-01T09:00"), day("2019-05-01"))
    assert reasons(q(decisions=(old,)), "2025-06-01") == []
    assert reasons(q(decisions=(old,)), "2027-06-01") == [(ReasonCode.PROGRAMME_BELOW_CARE_STANDARD, day("2027-06-01"))]


def test_lowering_a_design_after_the_grant_is_checked_and_fails_the_days_it_describes() -> None:
    good = DesignVersion(rules.EARLIEST_DAY, 8, 240, moment("2024-01-01T09:00"), 1)
    lowered = DesignVersion(day("2027-06-01"), 5, 120, moment("2027-05-01T09:00"), 2)
    check = rules.check_design_version("intensive", "individual", lowered, (GRANT_2024,), day("2027-05-01"), True)
    assert check.refused and check.refusal is GrantRefusal.BELOW_MINIMUM
    # Had it been stored anyway (or overridden in the transition), the day rule fails its days.
    assert reasons(q(good, lowered), "2027-05-31") == []
    assert reasons(q(good, lowered), "2027-05-31", "2027-06-02") == [(ReasonCode.PROGRAMME_BELOW_CARE_STANDARD, day("2027-06-01"))]


# --- design versions ---------------------------------------------------------------------------------


def test_the_design_in_force_is_the_latest_started_one_ties_recorded_last_else_the_earliest() -> None:
    a = DesignVersion(day("2026-01-01"), 7, 180, moment("2025-01-01T00:00"), 1)
    b = DesignVersion(day("2026-06-01"), 8, 200, moment("2025-01-02T00:00"), 2)
    c = DesignVersion(day("2026-06-01"), 9, 220, moment("2025-01-03T00:00"), 3)
    assert rules.design_in_force((a, b, c), day("2025-06-01")) is a
    assert rules.design_in_force((a, b, c), day("2026-05-31")) is a
    assert rules.design_in_force((a, b, c), day("2026-06-01")) is c
    assert rules.design_in_force((a, b, c), day("2026-06-01"), known_at=moment("2025-01-02T12:00")) is b
    assert rules.design_in_force((a, b, c), day("2026-06-01"), known_at=moment("2024-12-31T00:00")) is None


# --- the care-standard record ----------------------------------------------------------------------


def test_the_dates_are_data_versioned_in_transaction_time() -> None:
    later = CareStandardDates(day("2026-01-01"), day("2028-01-01"), moment("2026-11-01T00:00"))
    standard = CareStandard((later,))
    assert standard.as_known_at(None).strict_from == day("2028-01-01")
    assert standard.as_known_at(moment("2026-10-31T00:00")).strict_from == day("2027-01-01")
    # The day rule reads the dates as they stood at the time asked about.
    assert reasons(q(), "2027-06-01", standard=standard) == []
    assert reasons(q(), "2027-06-01", known_at=moment("2026-10-31T00:00"), standard=standard) == [
        (ReasonCode.PROGRAMME_BELOW_CARE_STANDARD, day("2027-06-01"))]


def test_the_override_is_possible_until_the_strict_date_of_the_record() -> None:
    dates = CareStandardDates(day("2026-01-01"), day("2027-07-01"))
    check = rules.check_programme_grant("short", "group", 2, 20, day("2027-02-01"), day("2027-03-01"), "Overgang", True, dates)
    assert check.outcome is GrantCheckOutcome.OVERRIDDEN
    late = rules.check_programme_grant("short", "group", 2, 20, day("2027-02-01"), day("2027-07-01"), "Overgang", True, dates)
    assert late.refused and late.refusal is GrantRefusal.OVERRIDE_ENDED and "2027-07-01" in late.message
    not_yet = CareStandardDates(day("2026-04-01"), day("2027-01-01"))
    assert rules.check_programme_grant("short", "group", 2, 20, day("2026-03-01"), day("2026-03-01"), None, False, not_yet).outcome \
        is GrantCheckOutcome.NOT_CHECKED


def test_a_design_version_is_checked_only_from_in_force_for_a_programme_whose_grant_reaches_it() -> None:
    low = DesignVersion(day("2026-03-01"), 3, 30, moment("2026-02-01T00:00"), 2, override_reason=None)
    ended = Decision(1, DecisionKind.GRANT, moment("2024-01-01T09:00"), day("2024-01-01"), day("2025-12-31"))
    revoked = (GRANT_2024, Decision(2, DecisionKind.REVOKE, moment("2025-01-01T09:00"), day("2025-06-01")))
    assert rules.check_design_version("short", "group", low, (ended,), day("2026-02-01"), True).outcome is GrantCheckOutcome.NOT_CHECKED
    assert rules.check_design_version("short", "group", low, revoked, day("2026-02-01"), True).outcome is GrantCheckOutcome.NOT_CHECKED
    assert rules.check_design_version("short", "group", low, (), day("2026-02-01"), True).outcome is GrantCheckOutcome.NOT_CHECKED
    assert rules.check_design_version("short", "group", low, (GRANT_2024,), day("2026-02-01"), True).refused
    early = DesignVersion(day("2025-12-01"), 3, 30, moment("2026-02-01T00:00"), 2)
    assert rules.check_design_version("short", "group", early, (GRANT_2024,), day("2026-02-01"), True).outcome is GrantCheckOutcome.NOT_CHECKED
    overridden = DesignVersion(day("2026-03-01"), 3, 30, moment("2026-02-01T00:00"), 2, override_reason="Pilot")
    assert rules.check_design_version("short", "group", overridden, (GRANT_2024,), day("2026-02-01"), True).outcome \
        is GrantCheckOutcome.OVERRIDDEN
    assert rules.check_design_version("short", "group", overridden, (GRANT_2024,), day("2026-02-01"), False).refusal \
        is GrantRefusal.ADMIN_ONLY


# --- scope and qualification versions ------------------------------------------------------------------


def test_scopes_and_qualifications_are_read_as_they_stood_at_the_time_asked_about() -> None:
    recorded = moment("2024-01-01T09:00")
    changed = moment("2026-05-01T09:00")
    training = TrainingFacts(frozenset({"short"}), frozenset({"group"}), (GRANT_2024,),
                             (ScopeVersion(frozenset({"short", "intensive"}), frozenset({"individual", "group"}), recorded),
                              ScopeVersion(frozenset({"short"}), frozenset({"group"}), changed)))
    coach = CoachFacts((GRANT_2024,), (QualificationFacts(day("2024-06-01"), recorded, training),))
    good = DesignVersion(rules.EARLIEST_DAY, 8, 240, recorded, 1)
    programme = ProgrammeFacts("intensive", "individual", (GRANT_2024,), (good,))
    assert verify_claim(programme, coach, day("2026-06-01")).qualified is False
    assert verify_claim(programme, coach, day("2026-06-01"), known_at=changed - dt.timedelta(seconds=1)).qualified is True
    withdrawn_at = moment("2026-07-01T09:00")
    versions = (QualificationFacts(day("2024-06-01"), recorded, TRAINING, superseded_at=withdrawn_at),
                QualificationFacts(day("2024-06-01"), withdrawn_at, TRAINING, withdrawn=True))
    withdrawn = CoachFacts((GRANT_2024,), versions)
    assert verify_claim(programme, withdrawn, day("2026-06-01")).qualified is False
    assert verify_claim(programme, withdrawn, day("2026-06-01"), known_at=withdrawn_at - dt.timedelta(seconds=1)).qualified is True
    rescoped = ProgrammeFacts("short", "group", (GRANT_2024,), (good,),
                              (ScopeVersion(frozenset({"intensive"}), frozenset({"individual"}), recorded),
                               ScopeVersion(frozenset({"short"}), frozenset({"group"}), changed)))
    assert rescoped.scope_at(None) == ("short", "group")
    assert rescoped.scope_at(changed - dt.timedelta(seconds=1)) == ("intensive", "individual")


@pytest.mark.parametrize("guidance, fmt, sessions, minutes", [("short", "group", 4, 40), ("intensive", "group", 7, 270)])
def test_a_design_exactly_at_the_minimum_passes_every_day(guidance: str, fmt: str, sessions: int, minutes: int) -> None:
    design = DesignVersion(rules.EARLIEST_DAY, sessions, minutes, BASE, 1)
    programme = ProgrammeFacts(guidance, fmt, (GRANT_2024,), (design,))
    assert verify_claim(programme, COACH, day("2027-01-01"), day("2027-12-31")).accredited
