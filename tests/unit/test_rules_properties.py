"""Properties of the rules over random decision histories (hypothesis).

A reference implementation written straight from the sentences of rules.md, day by day, checks
registry.rules; the bitemporal and period properties check the answers against each other.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import rules
from registry.rules import CoachFacts, Decision, DecisionKind, ProgrammeFacts, QualificationFacts, Status, TrainingFacts

FIRST_DAY = dt.date(2024, 1, 1)
WINDOW = 75  # days; small, so that decisions collide often
BASE = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
# Few possible start days, so that equal starts (rule 2's tie) and same-day changes come up often.
START_OFFSETS = list(range(0, WINDOW, 6))
DAYS = [FIRST_DAY + dt.timedelta(days=offset) for offset in range(-3, WINDOW + 3)]
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def a_day(offset: int) -> dt.date:
    return FIRST_DAY + dt.timedelta(days=offset)


@st.composite
def histories(draw: st.DrawFn, max_size: int = 9) -> tuple[Decision, ...]:
    """Decisions in recording order: increasing ids, recorded_at never decreasing (ties allowed)."""
    decisions: list[Decision] = []
    moment = BASE
    for id_ in range(1, draw(st.integers(0, max_size)) + 1):
        moment += dt.timedelta(minutes=draw(st.sampled_from([0, 1, 5])))
        suspensions = [d.id for d in decisions if d.kind is DecisionKind.SUSPEND]
        retractable = [d.id for d in decisions if d.kind is not DecisionKind.RETRACT]
        kinds = ["grant", "grant", "suspend", "revoke"] + (["lift"] if suspensions else []) + (["retract"] if retractable else [])
        kind = draw(st.sampled_from(kinds))
        start = a_day(draw(st.sampled_from(START_OFFSETS)))
        end = draw(st.one_of(st.none(), st.integers(0, 40).map(lambda length, start=start: start + dt.timedelta(days=length))))
        if kind == "grant":
            decisions.append(Decision(id_, DecisionKind.GRANT, moment, start, end))
        elif kind == "suspend":
            decisions.append(Decision(id_, DecisionKind.SUSPEND, moment, start, end))
        elif kind == "lift":
            decisions.append(Decision(id_, DecisionKind.LIFT, moment, start, target=draw(st.sampled_from(suspensions))))
        elif kind == "revoke":
            decisions.append(Decision(id_, DecisionKind.REVOKE, moment, start))
        else:
            decisions.append(Decision(id_, DecisionKind.RETRACT, moment, target=draw(st.sampled_from(retractable))))
    return tuple(decisions)


def known_ats(history: tuple[Decision, ...]) -> list[dt.datetime | None]:
    """Every moment at which the answer may change, and just before each, and now."""
    moments = {d.recorded_at for d in history}
    return [None, BASE - dt.timedelta(seconds=1), *sorted(moments), *(m - dt.timedelta(microseconds=1) for m in moments)]


# --- the reference: rules.md read literally --------------------------------------------------------


def reference_status(history: tuple[Decision, ...], day: dt.date, known_at: dt.datetime | None) -> Status:
    """rules.md, 'Status of a subject on date D, as known at time T', sentence by sentence."""
    known = [d for d in history if known_at is None or d.recorded_at <= known_at]
    retracted = {d.target for d in known if d.kind is DecisionKind.RETRACT}
    live = [d for d in known if d.kind is not DecisionKind.RETRACT and d.id not in retracted]
    grants = [d for d in live if d.kind is DecisionKind.GRANT]
    revokes = [d for d in live if d.kind is DecisionKind.REVOKE]

    def later_revokes(grant: Decision) -> list[Decision]:
        return [r for r in revokes if r.id > grant.id]

    def is_cut(grant: Decision, on: dt.date) -> bool:
        return any(r.starts_on <= on for r in later_revokes(grant))

    def end_of(grant: Decision) -> dt.date | None:
        candidates = [r.starts_on - dt.timedelta(days=1) for r in later_revokes(grant)]
        if grant.ends_on is not None:
            candidates.append(grant.ends_on)
        return min(candidates) if candidates else None

    def grant_covers(grant: Decision, on: dt.date) -> bool:
        end = end_of(grant)
        return grant.starts_on <= on and (end is None or on <= end)

    def suspension_covers(suspension: Decision, on: dt.date) -> bool:
        lifted = any(d.kind is DecisionKind.LIFT and d.target == suspension.id and d.starts_on <= on for d in live)
        return suspension.starts_on <= on and (suspension.ends_on is None or on <= suspension.ends_on) and not lifted

    if any(grant_covers(g, day) for g in grants):
        suspended = any(suspension_covers(s, day) for s in live if s.kind is DecisionKind.SUSPEND)
        return Status.SUSPENDED if suspended else Status.ACCREDITED
    started = [g for g in grants if g.starts_on <= day]
    if started:
        latest = max(started, key=lambda g: (g.starts_on, g.id))
        if is_cut(latest, day):
            return Status.REVOKED
    if not grants:
        return Status.NOT_ACCREDITED
    if not started:
        return Status.NOT_YET_ACCREDITED
    if all(end_of(g) is not None and end_of(g) < day for g in grants):
        return Status.EXPIRED
    return Status.NOT_ACCREDITED


@PROPERTY
@given(histories())
def test_rules_agree_with_the_reference_on_every_day(history: tuple[Decision, ...]) -> None:
    for known_at in known_ats(history):
        timeline, frozen = rules.Timeline(history, known_at), rules.Timeline(history, known_at).freeze()
        for day in DAYS:
            expected = reference_status(history, day, known_at)
            assert timeline.status_on(day) is expected, (day, known_at)
            assert frozen.status_on(day) is expected, (day, known_at)


@PROPERTY
@given(histories())
def test_as_known_at_equals_the_history_recorded_by_then(history: tuple[Decision, ...]) -> None:
    for known_at in known_ats(history)[1:]:
        recorded_by_then = tuple(d for d in history if d.recorded_at <= known_at)
        for day in DAYS:
            assert rules.status_on(history, day, known_at) is rules.status_on(recorded_by_then, day)


@PROPERTY
@given(histories(), st.data())
def test_retraction_asked_before_it_gives_the_original_answer(history: tuple[Decision, ...], data: st.DataObject) -> None:
    targets = [d for d in history if d.kind is not DecisionKind.RETRACT]
    if not targets:
        return
    target = data.draw(st.sampled_from(targets))
    later = (history[-1].recorded_at if history else BASE) + dt.timedelta(minutes=1)
    retraction = Decision(len(history) + 1, DecisionKind.RETRACT, later, target=target.id)
    retracted = (*history, retraction)
    before = later - dt.timedelta(microseconds=1)
    without_target = tuple(d for d in history if d.id != target.id)
    for day in DAYS:
        assert rules.status_on(retracted, day, before) is rules.status_on(history, day)
        # From the retraction on, the answer is the one the history would give without the target
        # (a lift of a retracted suspension, or a retract of a retracted decision, has nothing left to act on).
        assert rules.status_on(retracted, day) is rules.status_on(without_target, day)


@st.composite
def claims(draw: st.DrawFn):
    programme = ProgrammeFacts("intensive", "group", draw(histories(max_size=6)))
    training = TrainingFacts(frozenset({"intensive"}), frozenset({"group"}), draw(histories(max_size=3)))
    qualifications = tuple(
        QualificationFacts(a_day(draw(st.integers(-10, WINDOW))), BASE + dt.timedelta(minutes=draw(st.integers(0, 30))), training)
        for _ in range(draw(st.integers(0, 2)))
    )
    coach = CoachFacts(draw(histories(max_size=6)), qualifications)
    first = a_day(draw(st.integers(0, WINDOW)))
    last = first + dt.timedelta(days=draw(st.integers(0, 30)))
    return (
        draw(st.one_of(st.just(None), st.just(programme), st.just(programme), st.just(programme))),
        draw(st.one_of(st.just(None), st.just(coach), st.just(coach), st.just(coach))),
        first,
        last,
        draw(st.one_of(st.none(), st.integers(0, 40).map(lambda minutes: BASE + dt.timedelta(minutes=minutes)))),
    )


@PROPERTY
@given(claims())
def test_period_verdict_equals_the_day_by_day_verdicts(claim) -> None:
    programme, coach, first, last, known_at = claim
    verdict = rules.verify_claim(programme, coach, first, last, known_at)
    days = [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]
    daily = [rules.verify_claim(programme, coach, day, None, known_at) for day in days]
    # Qualifications are judged on the first day only, so compare the subjects' own reasons.
    own = lambda v: [r for r in v.reasons if r.code is not rules.ReasonCode.COACH_NOT_QUALIFIED]  # noqa: E731
    assert (not own(verdict)) is all(not own(v) for v in daily)
    for subject, facts in (("programme", programme), ("coach", coach)):
        if facts is None:
            continue
        failing = [(day, rules.status_on(facts.decisions, day, known_at)) for day in days]
        failing = [(day, status) for day, status in failing if status is not Status.ACCREDITED]
        reasons = [r for r in verdict.reasons if r.subject == subject and r.code is not rules.ReasonCode.COACH_NOT_QUALIFIED]
        if not failing:
            assert reasons == []
        else:
            [reason] = reasons
            table = rules.PROGRAMME_REASON if subject == "programme" else rules.COACH_REASON
            assert (reason.on, reason.code) == (failing[0][0], table[failing[0][1]])
    assert verdict.qualified == daily[0].qualified


@PROPERTY
@given(claims())
def test_reasons_are_ordered_and_unique(claim) -> None:
    verdict = rules.verify_claim(*claim)
    positions = [rules.REASON_ORDER[reason.code] for reason in verdict.reasons]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert verdict.accredited is (not verdict.reasons)
