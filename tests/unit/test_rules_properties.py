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


# --- the care standard on the days of care: design versions, the record's dates, the day rule --------------

MINIMUM_SESSIONS, MINIMUM_MINUTES = 7, 270  # intensive group guidance (rules.md's table)


@st.composite
def design_histories(draw: st.DrawFn) -> tuple[rules.DesignVersion, ...]:
    """Design versions in recording order, around the minimum, some effective from the earliest day."""
    versions = []
    for id_ in range(1, draw(st.integers(0, 4)) + 1):
        effective = draw(st.one_of(st.just(rules.EARLIEST_DAY), st.sampled_from(START_OFFSETS).map(a_day)))
        sessions, minutes = draw(st.sampled_from([6, 7, 8])), draw(st.sampled_from([260, 270, 300]))
        versions.append(rules.DesignVersion(effective, sessions, minutes, BASE + dt.timedelta(minutes=draw(st.integers(0, 40))), id_))
    versions.sort(key=lambda v: (v.recorded_at, v.id))
    return tuple(rules.DesignVersion(v.effective_from, v.sessions, v.contact_minutes, v.recorded_at, n) for n, v in enumerate(versions, 1))


@st.composite
def care_standards(draw: st.DrawFn) -> rules.CareStandard:
    """The record's versions: strict dates inside the window, recorded at moments that collide with the rest."""
    versions = []
    for _ in range(draw(st.integers(0, 2))):
        strict = a_day(draw(st.sampled_from(START_OFFSETS)))
        versions.append(rules.CareStandardDates(strict - dt.timedelta(days=30), strict, BASE + dt.timedelta(minutes=draw(st.integers(0, 40)))))
    versions.sort(key=lambda v: v.recorded_at)
    return rules.CareStandard(tuple(versions))


def reference_dates(standard: rules.CareStandard, known_at: dt.datetime | None) -> rules.CareStandardDates:
    """rules.md: the dates as they stood at T (the defaults before any version)."""
    known = [v for v in standard.versions if known_at is None or (v.recorded_at is not None and v.recorded_at <= known_at)]
    return known[-1] if known else rules.DEFAULT_CARE_STANDARD_DATES


def reference_design(designs: tuple[rules.DesignVersion, ...], day: dt.date, known_at: dt.datetime | None) -> rules.DesignVersion | None:
    """rules.md: of the versions recorded by T, the latest effective_from <= D (ties: recorded last); none such: the earliest."""
    known = [v for v in designs if known_at is None or v.recorded_at <= known_at]
    if not known:
        return None
    started = [v for v in known if v.effective_from <= day]
    if started:
        latest = max(v.effective_from for v in started)
        return [v for v in started if v.effective_from == latest][-1]
    earliest = min(v.effective_from for v in known)
    return [v for v in known if v.effective_from == earliest][-1]


def reference_programme_reason(programme: ProgrammeFacts, first: dt.date, last: dt.date, known_at: dt.datetime | None,
                               standard: rules.CareStandard) -> tuple[rules.ReasonCode, dt.date] | None:
    """rules.md, 'The rule on a day of care': the first day not accredited, or accredited but below the minimum from strict_from."""
    strict_from = reference_dates(standard, known_at).strict_from
    day = first
    while day <= last:
        status = reference_status(programme.decisions, day, known_at)
        if status is not Status.ACCREDITED:
            return rules.PROGRAMME_REASON[status], day
        design = reference_design(programme.designs, day, known_at)
        if day >= strict_from and design is not None and (design.sessions < MINIMUM_SESSIONS or design.contact_minutes < MINIMUM_MINUTES):
            return rules.ReasonCode.PROGRAMME_BELOW_CARE_STANDARD, day
        day += dt.timedelta(days=1)
    return None


@st.composite
def care_claims(draw: st.DrawFn):
    programme = ProgrammeFacts("intensive", "group", draw(histories(max_size=6)), draw(design_histories()))
    first = a_day(draw(st.integers(-3, WINDOW)))
    last = first + dt.timedelta(days=draw(st.integers(0, 40)))
    return programme, first, last, draw(care_standards())


@PROPERTY
@given(care_claims())
def test_the_day_rule_agrees_with_the_reference_on_every_day_and_period(claim) -> None:
    programme, first, last, standard = claim
    moments = known_ats(programme.decisions) + [v.recorded_at for v in programme.designs] + [v.recorded_at for v in standard.versions]
    for known_at in moments:
        got = rules.programme_reason(programme, first, last, known_at, standard)
        assert (None if got is None else (got.code, got.on)) == reference_programme_reason(programme, first, last, known_at, standard)
        for offset in range(0, (last - first).days + 1, 7):
            one = first + dt.timedelta(days=offset)
            got = rules.programme_reason(programme, one, one, known_at, standard)
            assert (None if got is None else (got.code, got.on)) == reference_programme_reason(programme, one, one, known_at, standard)


@PROPERTY
@given(care_claims(), st.integers(0, 45))
def test_as_known_at_uses_only_the_versions_recorded_by_then(claim, minutes: int) -> None:
    programme, first, last, standard = claim
    known_at = BASE + dt.timedelta(minutes=minutes)
    by_then = ProgrammeFacts(
        programme.guidance_type, programme.format,
        tuple(d for d in programme.decisions if d.recorded_at <= known_at),
        tuple(v for v in programme.designs if v.recorded_at <= known_at),
    )
    standard_by_then = rules.CareStandard(tuple(v for v in standard.versions if v.recorded_at is not None and v.recorded_at <= known_at))
    asked = rules.programme_reason(programme, first, last, known_at, standard)
    assert asked == rules.programme_reason(by_then, first, last, None, standard_by_then)
    # Versions recorded after T (a lower design, stricter dates) change nothing about the answer at T.
    later = known_at + dt.timedelta(seconds=1)
    mutated = ProgrammeFacts(programme.guidance_type, programme.format, programme.decisions,
                             (*programme.designs, rules.DesignVersion(rules.EARLIEST_DAY, 1, 10, later, len(programme.designs) + 1),
                              rules.DesignVersion(first, 1, 10, later, len(programme.designs) + 2)))
    stricter = rules.CareStandard((*standard.versions, rules.CareStandardDates(a_day(-400), a_day(-300), later)))
    assert rules.programme_reason(mutated, first, last, known_at, stricter) == asked


@PROPERTY
@given(care_claims())
def test_verdicts_carry_the_day_rule_in_the_reason_order(claim) -> None:
    programme, first, last, standard = claim
    verdict = rules.verify_claim(programme, None, first, last, None, standard)
    expected = reference_programme_reason(programme, first, last, None, standard)
    own = [(r.code, r.on) for r in verdict.reasons if r.subject == "programme"]
    assert own == ([expected] if expected else [])
    positions = [rules.REASON_ORDER[reason.code] for reason in verdict.reasons]
    assert positions == sorted(positions)
