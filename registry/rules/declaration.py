"""Declaration lines: a claim naming a provider's AGB code, judged through each of its programmes as a candidate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

from registry.rules.care_standard import DEFAULT_CARE_STANDARD, CareStandard
from registry.rules.claims import (
    CoachFacts,
    ProgrammeFacts,
    Reason,
    _outcome,
    coach_reason,
    programme_reason,
    qualified_for,
    sorted_reasons,
)
from registry.rules.timelines import SubjectOutcome, timeline_of
from registry.rules.vocabulary import COACH_REASON, ReasonCode

COACH_STATUS_REASONS = frozenset(COACH_REASON.values()) | {ReasonCode.COACH_UNKNOWN}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One of the provider's programmes, judged as if the claim had named it (the coach's own status aside)."""

    code: str
    facts: ProgrammeFacts
    # Why it does not fit: its programme reason, then COACH_NOT_QUALIFIED, as verify_claim gives them for its code.
    reasons: tuple[Reason, ...]
    free: bool  # no programme reason on the claim's days
    qualified: bool | None  # the coach is qualified for it on the first day; None: no coach

    @property
    def fits(self) -> bool:
        """Free of programme reasons, and the coach is qualified for it on the first day."""
        return self.free and self.qualified is True


def judge_candidate(
    code: str, facts: ProgrammeFacts, coach: CoachFacts | None, first: dt.date, last: dt.date, known_at: dt.datetime | None,
    care_standard: CareStandard,
) -> Candidate:
    """One programme judged for the claim: the programme's part and the qualification part of verify_claim."""
    reason = programme_reason(facts, first, last, known_at, care_standard)
    qualified = None if coach is None else qualified_for(facts, coach, first, known_at)
    reasons = () if reason is None else (reason,)
    if qualified is False:
        reasons = (*reasons, Reason(ReasonCode.COACH_NOT_QUALIFIED, "coach", first))
    return Candidate(code, facts, reasons, reason is None, qualified)


@dataclass(frozen=True, slots=True)
class DeclarationVerdict:
    """The answer to a claim naming a provider: the verdict, every candidate, and the first that fits."""

    accredited: bool
    reasons: tuple[Reason, ...]
    provider_known: bool
    candidates: tuple[Candidate, ...]
    chosen: Candidate | None
    programme: SubjectOutcome | None  # the chosen candidate's standing on the reported day
    coach: SubjectOutcome | None
    qualified: bool | None  # for the chosen candidate; False: for none of the free ones; None: none is free
    reported_day: dt.date


def verify_declaration_line(
    programmes: Sequence[tuple[str, ProgrammeFacts]] | None,
    coach: CoachFacts | None,
    first: dt.date,
    last: dt.date | None = None,
    known_at: dt.datetime | None = None,
    guidance_type: str | None = None,
    care_standard: CareStandard = DEFAULT_CARE_STANDARD,
) -> DeclarationVerdict:
    """Verdict on 'a programme of this provider delivered by coach on first..last'; `programmes` None: no organisation holds the AGB code."""
    last = first if last is None else last
    if last < first:
        raise ValueError("the period ends before it starts")
    # Each candidate through the parts of the very verdict a claim by its programme code gets, guidance type as known at T.
    candidates = tuple(
        judge_candidate(code, facts, coach, first, last, known_at, care_standard)
        for code, facts in sorted(programmes or (), key=lambda item: item[0])
        if guidance_type is None or facts.scope_at(known_at)[0] == guidance_type
    )
    # The coach's own reasons do not depend on the programme: judged once.
    coach_timeline = None if coach is None else timeline_of(coach.decisions, known_at)
    if coach_timeline is None:
        reasons = [Reason(ReasonCode.COACH_UNKNOWN, "coach", first)]
    else:
        own = coach_reason(coach_timeline, first, last)
        reasons = [] if own is None else [own]
    chosen = next((candidate for candidate in candidates if candidate.fits), None)
    if programmes is None:
        reasons.append(Reason(ReasonCode.PROVIDER_UNKNOWN, "provider", first))
    elif not candidates:
        reasons.append(Reason(ReasonCode.PROVIDER_NO_PROGRAMME, "provider", first))
    elif not any(candidate.free for candidate in candidates):
        # The first day on which one of them failed.
        failed_on = min(candidate.reasons[0].on for candidate in candidates)
        reasons.append(Reason(ReasonCode.PROVIDER_NO_ACCREDITED_PROGRAMME, "provider", failed_on))
    elif chosen is None and coach is not None:
        reasons.append(Reason(ReasonCode.COACH_NOT_QUALIFIED, "coach", first))
    reasons = sorted_reasons(reasons)
    reported_day = min((reason.on for reason in reasons), default=first)
    return DeclarationVerdict(
        accredited=not reasons,
        reasons=tuple(reasons),
        provider_known=programmes is not None,
        candidates=candidates,
        chosen=chosen,
        programme=None if chosen is None else timeline_of(chosen.facts.decisions, known_at).standing_on(reported_day),
        coach=_outcome(coach_timeline, reported_day),
        qualified=True if chosen is not None else (False if coach is not None and any(c.free for c in candidates) else None),
        reported_day=reported_day,
    )
