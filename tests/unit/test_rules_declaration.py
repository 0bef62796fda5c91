"""Claims from a declaration line (docs/rules.md, "Een declaratieregel controleren"): worked examples and properties."""

from __future__ import annotations

import datetime as dt

from hypothesis import given

from registry import rules
from registry.rules import CoachFacts, Decision, DecisionKind, ProgrammeFacts, QualificationFacts, ReasonCode, TrainingFacts
from tests.unit.test_rules_properties import PROPERTY, claims

D = dt.date(2026, 3, 2)
AT = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def grant(id_: int, valid_from: dt.date = dt.date(2025, 1, 1)) -> Decision:
    return Decision(id_, DecisionKind.GRANT, AT, valid_from)


INTENSIVE_TRAINING = TrainingFacts(frozenset({"intensive"}), frozenset({"individual", "group"}), (grant(1, dt.date(2020, 1, 1)),))
SHORT_TRAINING = TrainingFacts(frozenset({"short"}), frozenset({"individual", "group"}), (grant(2, dt.date(2020, 1, 1)),))
P_A = ("P-A", ProgrammeFacts("short", "individual", (grant(3),)))
P_B = ("P-B", ProgrammeFacts("intensive", "group", (grant(4), Decision(5, DecisionKind.SUSPEND, AT, dt.date(2026, 2, 1), dt.date(2026, 4, 30)))))
COACH = CoachFacts((grant(6),), (QualificationFacts(dt.date(2023, 1, 1), AT, INTENSIVE_TRAINING),))


def codes(verdict: rules.DeclarationVerdict) -> list[ReasonCode]:
    return [reason.code for reason in verdict.reasons]


def test_the_worked_examples() -> None:
    # Listed out of code order: candidates are judged in code order all the same.
    programmes = [P_B, P_A]
    plain = rules.verify_declaration_line(programmes, COACH, D)
    assert codes(plain) == [ReasonCode.COACH_NOT_QUALIFIED] and plain.chosen is None
    assert [(c.code, c.fits, [r.code for r in c.reasons]) for c in plain.candidates] == [
        ("P-A", False, [ReasonCode.COACH_NOT_QUALIFIED]), ("P-B", False, [ReasonCode.PROGRAMME_SUSPENDED])]
    intensive = rules.verify_declaration_line(programmes, COACH, D, guidance_type="intensive")
    assert codes(intensive) == [ReasonCode.PROVIDER_NO_ACCREDITED_PROGRAMME]
    assert intensive.reasons[0].on == D and [c.code for c in intensive.candidates] == ["P-B"]
    qualified = CoachFacts(COACH.decisions, (*COACH.qualifications, QualificationFacts(dt.date(2026, 1, 15), AT, SHORT_TRAINING)))
    accepted = rules.verify_declaration_line(programmes, qualified, D)
    assert accepted.accredited and accepted.reasons == () and accepted.chosen is not None and accepted.chosen.code == "P-A"
    assert accepted.programme is not None and accepted.programme.status is rules.Status.ACCREDITED
    unknown = rules.verify_declaration_line(None, qualified, D)
    assert codes(unknown) == [ReasonCode.PROVIDER_UNKNOWN] and unknown.candidates == ()
    assert codes(rules.verify_declaration_line([], qualified, D)) == [ReasonCode.PROVIDER_NO_PROGRAMME]
    # The provider's reason comes first, then the coach's own; COACH_NOT_QUALIFIED only when the coach exists.
    assert codes(rules.verify_declaration_line(None, None, D)) == [ReasonCode.PROVIDER_UNKNOWN, ReasonCode.COACH_UNKNOWN]
    assert codes(rules.verify_declaration_line(programmes, None, D)) == [ReasonCode.COACH_UNKNOWN]
    suspended_coach = CoachFacts((grant(6), Decision(7, DecisionKind.SUSPEND, AT, dt.date(2026, 3, 1))), COACH.qualifications)
    assert codes(rules.verify_declaration_line(programmes, suspended_coach, D, guidance_type="intensive")) == [
        ReasonCode.PROVIDER_NO_ACCREDITED_PROGRAMME, ReasonCode.COACH_SUSPENDED]


@PROPERTY
@given(claims())
def test_a_provider_with_one_programme_answers_as_that_programme_code(claim) -> None:
    programme, coach, first, last, known_at = claim
    if programme is None:
        return
    direct = rules.verify_claim(programme, coach, first, last, known_at)
    by_provider = rules.verify_declaration_line([("P-1", programme)], coach, first, last, known_at)
    assert by_provider.accredited is direct.accredited
    [candidate] = by_provider.candidates
    # The candidate carries the programme's own reasons, exactly as asked by its code.
    assert candidate.reasons == tuple(r for r in direct.reasons if r.code not in rules.COACH_STATUS_REASONS)
    assert candidate.fits is (candidate.free and direct.qualified is True)
    # Same reasons, in the provider's words: a programme reason becomes PROVIDER_NO_ACCREDITED_PROGRAMME on the
    # same day, and then qualification is not judged (no programme is free to be qualified for).
    expected = []
    programme_reasons = [r for r in direct.reasons if r.subject == "programme"]
    for reason in direct.reasons:
        if reason.subject == "programme":
            expected.append(rules.Reason(ReasonCode.PROVIDER_NO_ACCREDITED_PROGRAMME, "provider", reason.on))
        elif not (programme_reasons and reason.code is ReasonCode.COACH_NOT_QUALIFIED):
            expected.append(reason)
    assert list(by_provider.reasons) == rules.sorted_reasons(expected)
    if by_provider.reported_day == direct.reported_day:
        assert by_provider.coach == direct.coach
    if direct.accredited:
        assert by_provider.chosen is candidate and by_provider.programme == direct.programme and by_provider.coach == direct.coach
    assert by_provider.reported_day == min((r.on for r in by_provider.reasons), default=first)


@PROPERTY
@given(claims())
def test_declaration_reasons_are_ordered_and_unique(claim) -> None:
    programme, coach, first, last, known_at = claim
    verdict = rules.verify_declaration_line([] if programme is None else [("P-1", programme), ("P-2", programme)], coach, first, last, known_at)
    positions = [rules.REASON_ORDER[reason.code] for reason in verdict.reasons]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert verdict.accredited is (not verdict.reasons)
    assert sum(reason.subject == "provider" for reason in verdict.reasons) <= 1
