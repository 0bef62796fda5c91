"""Every rule of shared/spec/rules.md, one at a time, including its worked examples."""

from __future__ import annotations

import datetime as dt

import pytest

from registry import rules
from registry.rules import (
    CoachFacts,
    Decision,
    DecisionKind,
    GrantCheckOutcome,
    ProgrammeFacts,
    QualificationFacts,
    ReasonCode,
    Status,
    TrainingFacts,
    check_programme_grant,
    status_on,
    verify_claim,
)

BASE = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def at(id_: int) -> dt.datetime:
    """Decision n is recorded n hours after the base moment."""
    return BASE + dt.timedelta(hours=id_)


def grant(id_: int, valid_from: str, valid_until: str | None = None) -> Decision:
    return Decision(id_, DecisionKind.GRANT, at(id_), day(valid_from), day(valid_until) if valid_until else None)


def suspend(id_: int, start: str, until: str | None = None) -> Decision:
    return Decision(id_, DecisionKind.SUSPEND, at(id_), day(start), day(until) if until else None)


def lift(id_: int, on: str, suspension: int) -> Decision:
    return Decision(id_, DecisionKind.LIFT, at(id_), day(on), target=suspension)


def revoke(id_: int, effective: str) -> Decision:
    return Decision(id_, DecisionKind.REVOKE, at(id_), day(effective))


def retract(id_: int, target: int) -> Decision:
    return Decision(id_, DecisionKind.RETRACT, at(id_), target=target)


# The worked example of rules.md: programme P, decisions (1) to (5) in recording order.
EXAMPLE = (
    grant(1, "2024-02-01", "2025-01-31"),
    suspend(2, "2024-06-10", "2024-07-31"),
    lift(3, "2024-07-01", 2),
    revoke(4, "2024-11-01"),
    grant(5, "2025-03-01", "2026-02-28"),
)


@pytest.mark.parametrize(
    "on, expected",
    [
        ("2024-01-31", Status.NOT_YET_ACCREDITED),
        ("2024-02-01", Status.ACCREDITED),
        ("2024-06-30", Status.SUSPENDED),
        ("2024-07-01", Status.ACCREDITED),
        ("2024-11-01", Status.REVOKED),
        ("2025-02-15", Status.REVOKED),
        ("2025-03-01", Status.ACCREDITED),
        ("2026-03-01", Status.EXPIRED),
    ],
)
def test_worked_example_statuses(on: str, expected: Status) -> None:
    assert status_on(EXAMPLE, day(on)) is expected


def test_worked_example_as_known_between_lift_and_revoke() -> None:
    between = at(3) + dt.timedelta(minutes=30)
    assert status_on(EXAMPLE, day("2024-11-01"), known_at=between) is Status.ACCREDITED


def test_worked_example_retracted_lift() -> None:
    history = (*EXAMPLE, retract(6, 3))
    assert status_on(history, day("2024-07-15")) is Status.SUSPENDED
    assert status_on(history, day("2024-07-15"), known_at=at(6) - dt.timedelta(seconds=1)) is Status.ACCREDITED
    assert status_on(history, day("2024-07-15"), known_at=at(6)) is Status.SUSPENDED


def test_worked_example_period() -> None:
    verdict = verify_claim(ProgrammeFacts("intensive", "group", EXAMPLE), None, day("2024-06-01"), day("2024-06-30"))
    programme_reason = verdict.reasons[0]
    assert (programme_reason.code, programme_reason.on) == (ReasonCode.PROGRAMME_SUSPENDED, day("2024-06-10"))


def test_worked_example_qualification_outlives_the_trainings_accreditation() -> None:
    training = TrainingFacts(frozenset({"intensive"}), frozenset({"group"}), (grant(1, "2020-01-01", "2023-12-31"),))
    in_time = QualificationFacts(day("2023-05-01"), at(2), training)
    too_late = QualificationFacts(day("2024-01-15"), at(2), training)
    assert rules.is_qualified([in_time], "intensive", "group", day("2026-06-01"))
    assert not rules.is_qualified([too_late], "intensive", "group", day("2026-06-01"))


# --- status rules one by one ------------------------------------------------------------------


def test_no_decisions_is_not_accredited() -> None:
    assert status_on((), day("2026-01-01")) is Status.NOT_ACCREDITED


def test_only_suspensions_is_still_not_accredited() -> None:
    assert status_on((suspend(1, "2026-01-01"),), day("2026-01-02")) is Status.NOT_ACCREDITED


def test_periods_are_inclusive_at_both_ends() -> None:
    history = (grant(1, "2026-01-01", "2026-01-31"),)
    assert status_on(history, day("2025-12-31")) is Status.NOT_YET_ACCREDITED
    assert status_on(history, day("2026-01-01")) is Status.ACCREDITED
    assert status_on(history, day("2026-01-31")) is Status.ACCREDITED
    assert status_on(history, day("2026-02-01")) is Status.EXPIRED


def test_open_ended_grant_never_expires() -> None:
    assert status_on((grant(1, "2020-01-01"),), day("9999-12-31")) is Status.ACCREDITED


def test_suspension_covers_inclusive_and_open_ended() -> None:
    history = (grant(1, "2020-01-01"), suspend(2, "2026-03-01", "2026-03-31"), suspend(3, "2027-01-01"))
    assert status_on(history, day("2026-02-28")) is Status.ACCREDITED
    assert status_on(history, day("2026-03-01")) is Status.SUSPENDED
    assert status_on(history, day("2026-03-31")) is Status.SUSPENDED
    assert status_on(history, day("2026-04-01")) is Status.ACCREDITED
    assert status_on(history, day("2099-01-01")) is Status.SUSPENDED


def test_suspension_outside_any_grant_does_not_change_the_status() -> None:
    history = (grant(1, "2026-01-01", "2026-06-30"), suspend(2, "2026-06-01", "2026-12-31"))
    assert status_on(history, day("2026-07-15")) is Status.EXPIRED
    assert status_on(history, day("2025-12-01")) is Status.NOT_YET_ACCREDITED


def test_lift_ends_the_suspension_the_day_before_its_date() -> None:
    history = (grant(1, "2020-01-01"), suspend(2, "2026-03-01"), lift(3, "2026-03-10", 2))
    assert status_on(history, day("2026-03-09")) is Status.SUSPENDED
    assert status_on(history, day("2026-03-10")) is Status.ACCREDITED


def test_earliest_lift_counts() -> None:
    history = (grant(1, "2020-01-01"), suspend(2, "2026-03-01"), lift(3, "2026-03-20", 2), lift(4, "2026-03-10", 2))
    assert status_on(history, day("2026-03-15")) is Status.ACCREDITED


def test_lift_before_the_suspension_starts_cancels_it() -> None:
    history = (grant(1, "2020-01-01"), suspend(2, "2026-03-01", "2026-03-31"), lift(3, "2026-02-01", 2))
    assert status_on(history, day("2026-03-15")) is Status.ACCREDITED


def test_lift_of_another_suspension_does_not_end_this_one() -> None:
    history = (grant(1, "2020-01-01"), suspend(2, "2026-03-01"), suspend(3, "2026-05-01"), lift(4, "2026-03-10", 3))
    assert status_on(history, day("2026-03-15")) is Status.SUSPENDED


def test_revoke_cuts_grants_recorded_before_it_from_its_effective_date() -> None:
    history = (grant(1, "2020-01-01"), revoke(2, "2026-03-01"))
    assert status_on(history, day("2026-02-28")) is Status.ACCREDITED
    assert status_on(history, day("2026-03-01")) is Status.REVOKED
    assert status_on(history, day("2040-01-01")) is Status.REVOKED


def test_revoke_does_not_touch_a_grant_recorded_after_it() -> None:
    history = (grant(1, "2020-01-01"), revoke(2, "2026-03-01"), grant(3, "2026-06-01"))
    assert status_on(history, day("2026-05-31")) is Status.REVOKED
    assert status_on(history, day("2026-06-01")) is Status.ACCREDITED


def test_revoke_recorded_before_a_grant_with_earlier_effective_date_does_not_cut_it() -> None:
    history = (revoke(1, "2020-01-01"), grant(2, "2024-01-01"))
    assert status_on(history, day("2026-01-01")) is Status.ACCREDITED


def test_revocation_lasts_until_a_new_grant_starts_even_past_the_old_grants_end() -> None:
    history = (grant(1, "2024-01-01", "2024-12-31"), revoke(2, "2024-06-01"), grant(3, "2026-01-01"))
    assert status_on(history, day("2025-06-01")) is Status.REVOKED
    assert status_on(history, day("2026-01-01")) is Status.ACCREDITED


def test_revoked_with_effective_after_the_grant_ends_is_expired() -> None:
    history = (grant(1, "2024-01-01", "2024-12-31"), revoke(2, "2025-06-01"))
    assert status_on(history, day("2025-01-15")) is Status.EXPIRED
    assert status_on(history, day("2025-06-01")) is Status.REVOKED


def test_rule_two_takes_the_latest_started_grant() -> None:
    # Grant 1 starts later but is cut; grant 3 started earlier and ended: the latest start (1) decides.
    history = (grant(1, "2025-01-01"), revoke(2, "2025-06-01"), grant(3, "2024-01-01", "2024-12-31"))
    assert status_on(history, day("2025-07-01")) is Status.REVOKED


def test_rule_two_ties_go_to_the_grant_recorded_last() -> None:
    cut_first = (grant(1, "2025-01-01", "2025-03-31"), revoke(2, "2025-02-01"), grant(3, "2025-01-01", "2025-01-31"))
    # Both started 2025-01-01; grant 3 is recorded last and not cut: on 2025-02-15 it has ended, so expired.
    assert status_on(cut_first, day("2025-02-15")) is Status.EXPIRED
    cut_last = (grant(1, "2025-01-01", "2025-01-31"), grant(2, "2025-01-01", "2025-03-31"), revoke(3, "2025-02-01"))
    assert status_on(cut_last, day("2025-02-15")) is Status.REVOKED


def test_gap_between_grants_is_not_accredited() -> None:
    history = (grant(1, "2024-01-01", "2024-12-31"), grant(2, "2026-01-01"))
    assert status_on(history, day("2025-06-01")) is Status.NOT_ACCREDITED


def test_expired_needs_every_grant_ended() -> None:
    history = (grant(1, "2024-01-01", "2024-12-31"), grant(2, "2024-06-01", "2025-06-30"))
    assert status_on(history, day("2025-01-15")) is Status.ACCREDITED
    assert status_on(history, day("2025-07-01")) is Status.EXPIRED


def test_suspension_inside_a_grant_before_a_revoke() -> None:
    history = (grant(1, "2020-01-01"), suspend(2, "2026-01-01"), revoke(3, "2026-02-01"))
    assert status_on(history, day("2026-01-15")) is Status.SUSPENDED
    assert status_on(history, day("2026-02-15")) is Status.REVOKED


def test_retraction_removes_its_target_from_its_recorded_at_on() -> None:
    history = (grant(1, "2020-01-01"), revoke(2, "2026-01-01"), retract(3, 2))
    assert status_on(history, day("2026-06-01")) is Status.ACCREDITED
    assert status_on(history, day("2026-06-01"), known_at=at(3) - dt.timedelta(microseconds=1)) is Status.REVOKED


def test_retracting_a_grant_leaves_no_grant() -> None:
    history = (grant(1, "2020-01-01"), retract(2, 1))
    assert status_on(history, day("2026-06-01")) is Status.NOT_ACCREDITED


def test_retracting_a_suspension_makes_its_lift_irrelevant() -> None:
    history = (grant(1, "2020-01-01"), suspend(2, "2026-01-01"), lift(3, "2026-03-01", 2), retract(4, 2))
    assert status_on(history, day("2026-02-01")) is Status.ACCREDITED


def test_as_known_at_ignores_decisions_recorded_later() -> None:
    history = (grant(1, "2020-01-01"), suspend(2, "2026-01-01"))
    assert status_on(history, day("2026-02-01"), known_at=at(1)) is Status.ACCREDITED
    assert status_on(history, day("2026-02-01"), known_at=at(2)) is Status.SUSPENDED
    assert status_on(history, day("2026-02-01"), known_at=at(0)) is Status.NOT_ACCREDITED


def test_extreme_calendar_days_do_not_overflow() -> None:
    history = (grant(1, "0001-01-01", "9999-12-31"), suspend(2, "9999-12-31", "9999-12-31"), revoke(3, "0001-01-01"))
    assert status_on(history[:2], day("9999-12-31")) is Status.SUSPENDED
    assert status_on(history, day("0001-01-01")) is Status.REVOKED
    timeline = rules.Timeline(history).freeze()
    assert timeline.first_failing_day(day("0001-01-01"), day("9999-12-31")) == (day("0001-01-01"), Status.REVOKED)


def test_frozen_timeline_answers_like_the_rules() -> None:
    frozen, plain = rules.Timeline(EXAMPLE).freeze(), rules.Timeline(EXAMPLE)
    first = day("2023-12-01")
    for offset in range(0, 1000):
        on = first + dt.timedelta(days=offset)
        assert frozen.status_on(on) is plain.status_on(on)


# --- claims ---------------------------------------------------------------------------------------

TRAINING = TrainingFacts(frozenset({"short", "intensive"}), frozenset({"group"}), (grant(1, "2020-01-01"),))
ACCREDITED = (grant(1, "2024-01-01"),)


def coach(*decisions: Decision, completed: str = "2023-01-01", training: TrainingFacts = TRAINING, recorded: int = 0) -> CoachFacts:
    return CoachFacts(tuple(decisions) or ACCREDITED, (QualificationFacts(day(completed), at(recorded), training),))


def programme(*decisions: Decision, guidance: str = "intensive", fmt: str = "group") -> ProgrammeFacts:
    return ProgrammeFacts(guidance, fmt, tuple(decisions) or ACCREDITED)


def codes(verdict: rules.Verdict) -> list[ReasonCode]:
    return [reason.code for reason in verdict.reasons]


def test_accepted_claim_has_no_reasons() -> None:
    verdict = verify_claim(programme(), coach(), day("2026-03-01"))
    assert verdict.accredited and verdict.reasons == () and verdict.qualified is True
    assert verdict.programme.status is Status.ACCREDITED and verdict.programme.accreditation == ACCREDITED[0]


@pytest.mark.parametrize(
    "history, programme_code, coach_code",
    [
        ((grant(1, "2024-01-01"), revoke(2, "2026-01-01")), ReasonCode.PROGRAMME_REVOKED, ReasonCode.COACH_REVOKED),
        ((grant(1, "2024-01-01"), suspend(2, "2026-01-01")), ReasonCode.PROGRAMME_SUSPENDED, ReasonCode.COACH_SUSPENDED),
        ((grant(1, "2027-01-01"),), ReasonCode.PROGRAMME_NOT_YET_ACCREDITED, ReasonCode.COACH_NOT_YET_REGISTERED),
        ((grant(1, "2024-01-01", "2025-12-31"),), ReasonCode.PROGRAMME_EXPIRED, ReasonCode.COACH_EXPIRED),
        ((grant(1, "2024-01-01", "2024-12-31"), grant(2, "2027-01-01")), ReasonCode.PROGRAMME_NOT_ACCREDITED, ReasonCode.COACH_NOT_REGISTERED),
    ],
)
def test_each_status_maps_to_its_reason_code(history, programme_code, coach_code) -> None:
    verdict = verify_claim(programme(*history), coach(*history), day("2026-03-01"))
    assert codes(verdict) == [programme_code, coach_code]
    assert all(reason.on == day("2026-03-01") for reason in verdict.reasons)


def test_not_registered_coach_without_any_grant() -> None:
    verdict = verify_claim(programme(), CoachFacts((), ()), day("2026-03-01"))
    assert codes(verdict) == [ReasonCode.COACH_NOT_REGISTERED, ReasonCode.COACH_NOT_QUALIFIED]


def test_unknown_subjects_and_qualification_only_when_both_exist() -> None:
    assert codes(verify_claim(None, None, day("2026-03-01"))) == [ReasonCode.PROGRAMME_UNKNOWN, ReasonCode.COACH_UNKNOWN]
    unqualified = CoachFacts(ACCREDITED, ())
    assert codes(verify_claim(None, unqualified, day("2026-03-01"))) == [ReasonCode.PROGRAMME_UNKNOWN]
    assert codes(verify_claim(programme(), None, day("2026-03-01"))) == [ReasonCode.COACH_UNKNOWN]
    assert verify_claim(None, None, day("2026-03-01")).programme is None


def test_all_reasons_in_the_specified_order() -> None:
    suspended = (grant(1, "2024-01-01"), suspend(2, "2026-01-01"))
    verdict = verify_claim(programme(*suspended), CoachFacts(suspended, ()), day("2026-03-01"))
    assert codes(verdict) == [ReasonCode.PROGRAMME_SUSPENDED, ReasonCode.COACH_SUSPENDED, ReasonCode.COACH_NOT_QUALIFIED]


def test_not_qualified_is_judged_whatever_the_coachs_own_status() -> None:
    revoked = (grant(1, "2024-01-01"), revoke(2, "2025-01-01"))
    verdict = verify_claim(programme(), coach(*revoked, training=TrainingFacts(frozenset({"short"}), frozenset({"group"}), ACCREDITED)), day("2026-03-01"))
    assert codes(verdict) == [ReasonCode.COACH_REVOKED, ReasonCode.COACH_NOT_QUALIFIED]


@pytest.mark.parametrize(
    "training, completed, qualified",
    [
        (TRAINING, "2023-01-01", True),
        (TrainingFacts(frozenset({"short"}), frozenset({"group"}), ACCREDITED), "2025-01-01", False),  # wrong guidance type
        (TrainingFacts(frozenset({"intensive"}), frozenset({"individual"}), ACCREDITED), "2025-01-01", False),  # wrong format
        (TRAINING, "2026-03-02", False),  # completed after the day
        (TRAINING, "2026-03-01", True),  # completed on the day
        (TrainingFacts(TRAINING.guidance_types, TRAINING.formats, (grant(1, "2024-01-01"), suspend(2, "2024-06-01", "2024-06-30"))), "2024-06-15", False),
        (TrainingFacts(TRAINING.guidance_types, TRAINING.formats, ()), "2024-06-15", False),  # never accredited
    ],
)
def test_qualification_rule(training: TrainingFacts, completed: str, qualified: bool) -> None:
    verdict = verify_claim(programme(), coach(completed=completed, training=training), day("2026-03-01"))
    assert verdict.qualified is qualified
    assert (ReasonCode.COACH_NOT_QUALIFIED in codes(verdict)) is (not qualified)


def test_qualification_is_judged_on_the_first_day_of_a_period() -> None:
    verdict = verify_claim(programme(), coach(completed="2026-03-05"), day("2026-03-01"), day("2026-03-31"))
    assert codes(verdict) == [ReasonCode.COACH_NOT_QUALIFIED]
    assert verdict.reasons[0].on == day("2026-03-01")


def test_qualification_recorded_after_known_at_does_not_count() -> None:
    late = coach(completed="2023-01-01", recorded=50)
    assert verify_claim(programme(), late, day("2026-03-01")).qualified is True
    assert verify_claim(programme(), late, day("2026-03-01"), known_at=at(49)).qualified is False


def test_training_accreditation_is_taken_as_known_at() -> None:
    training = TrainingFacts(TRAINING.guidance_types, TRAINING.formats, (grant(1, "2020-01-01"), retract(30, 1)))
    assert verify_claim(programme(), coach(training=training), day("2026-03-01")).qualified is False
    assert verify_claim(programme(), coach(training=training), day("2026-03-01"), known_at=at(29)).qualified is True


def test_period_names_each_subjects_own_first_failing_day() -> None:
    programme_history = (grant(1, "2024-01-01"), suspend(2, "2026-03-10", "2026-03-12"))
    coach_history = (grant(1, "2024-01-01", "2026-03-20"),)
    verdict = verify_claim(programme(*programme_history), coach(*coach_history), day("2026-03-01"), day("2026-03-31"))
    assert [(reason.code, reason.on) for reason in verdict.reasons] == [
        (ReasonCode.PROGRAMME_SUSPENDED, day("2026-03-10")),
        (ReasonCode.COACH_EXPIRED, day("2026-03-21")),
    ]
    # Each subject's status is reported on the claim's first failing day.
    assert verdict.reported_day == day("2026-03-10")
    assert verdict.programme.status is Status.SUSPENDED and verdict.coach.status is Status.ACCREDITED


def test_period_fully_accredited() -> None:
    verdict = verify_claim(programme(), coach(), day("2025-01-01"), day("2025-12-31"))
    assert verdict.accredited and verdict.reported_day == day("2025-01-01")


def test_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError):
        verify_claim(programme(), coach(), day("2026-03-02"), day("2026-03-01"))


# --- care standard ------------------------------------------------------------------------------

RECORDED_IN_2026 = day("2026-11-22")


def check(guidance: str, fmt: str, sessions: int, minutes: int, valid_from: str = "2026-02-01",
          recorded_on: dt.date = RECORDED_IN_2026, override: str | None = None, admin: bool = False) -> rules.GrantCheck:
    return check_programme_grant(guidance, fmt, sessions, minutes, day(valid_from), recorded_on, override, admin)


@pytest.mark.parametrize(
    "guidance, fmt, sessions, minutes",
    [("short", "individual", 4, 40), ("short", "group", 4, 40), ("intensive", "individual", 7, 180), ("intensive", "group", 7, 270)],
)
def test_care_standard_minimums_exactly_met_and_one_short(guidance: str, fmt: str, sessions: int, minutes: int) -> None:
    assert check(guidance, fmt, sessions, minutes).outcome is GrantCheckOutcome.MEETS_STANDARD
    fewer_sessions = check(guidance, fmt, sessions - 1, minutes)
    assert fewer_sessions.refused and f"{sessions - 1} sessions where the minimum is {sessions}" in fewer_sessions.message
    fewer_minutes = check(guidance, fmt, sessions, minutes - 1)
    assert fewer_minutes.refused and f"{minutes - 1} contact minutes where the minimum is {minutes}" in fewer_minutes.message


def test_grants_starting_before_2026_are_not_checked() -> None:
    assert check("intensive", "group", 1, 10, valid_from="2025-12-31").outcome is GrantCheckOutcome.NOT_CHECKED
    assert check("intensive", "group", 1, 10, valid_from="2026-01-01").refused


def test_override_only_by_an_admin_with_a_reason_while_recorded_in_2026() -> None:
    assert check("short", "group", 2, 20, override="Overgangsjaar", admin=True).outcome is GrantCheckOutcome.OVERRIDDEN
    assert check("short", "group", 2, 20, override="   ", admin=True).refused
    not_admin = check("short", "group", 2, 20, override="Overgangsjaar", admin=False)
    assert not_admin.refused and "only an admin" in not_admin.message
    too_late = check("short", "group", 2, 20, override="Overgangsjaar", admin=True, recorded_on=day("2027-01-01"))
    assert too_late.refused and "2027-01-01" in too_late.message
    last_day = check("short", "group", 2, 20, override="Overgangsjaar", admin=True, recorded_on=day("2026-12-31"))
    assert last_day.outcome is GrantCheckOutcome.OVERRIDDEN
