"""Claim verification: what it reads of programmes, coaches and trainings, the qualification rule, and the verdict on a claim."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from typing import Iterable, Literal, Sequence

from registry.rules.care_standard import (
    DEFAULT_CARE_STANDARD,
    CareStandard,
    DesignVersion,
    ScopeVersion,
    care_standard_shortfall,
    design_in_force,
    scope_as_known_at,
)
from registry.rules.timelines import _TIMELINE_CACHE_SIZE, Standing, SubjectOutcome, Timeline, timeline_of
from registry.rules.vocabulary import COACH_REASON, ONE_DAY, PROGRAMME_REASON, REASON_ORDER, Decision, ReasonCode, Status


@dataclass(frozen=True, slots=True)
class TrainingFacts:
    """What the qualification rule needs of a training; `scopes` are its versions, read for answers as known at a time."""

    guidance_types: frozenset[str]
    formats: frozenset[str]
    decisions: tuple[Decision, ...]
    scopes: tuple[ScopeVersion, ...] = ()


@dataclass(frozen=True, slots=True)
class QualificationFacts:
    """One version of a coach's qualification: completed a training on a date, recorded at a time.

    A later version (a correction, or a withdrawal) supersedes it from `superseded_at` on.
    """

    completed_on: dt.date
    recorded_at: dt.datetime
    training: TrainingFacts
    withdrawn: bool = False
    superseded_at: dt.datetime | None = None

    def counts(self, known_at: dt.datetime | None) -> bool:
        """True when this version stood (and did not withdraw) at `known_at` (None: now)."""
        if self.withdrawn:
            return False
        if known_at is None:
            return self.superseded_at is None
        return self.recorded_at <= known_at and (self.superseded_at is None or self.superseded_at > known_at)


@dataclass(frozen=True, slots=True)
class ProgrammeFacts:
    """What claim verification needs of a programme: its guidance type and format now, decisions, design and scope versions."""

    guidance_type: str
    format: str
    decisions: tuple[Decision, ...]
    designs: tuple[DesignVersion, ...] = ()
    scopes: tuple[ScopeVersion, ...] = ()

    def scope_at(self, known_at: dt.datetime | None) -> tuple[str, str]:
        """Guidance type and format as known at `known_at`."""
        if known_at is None or not self.scopes:
            return self.guidance_type, self.format
        types, formats = scope_as_known_at(self.scopes, known_at, (frozenset(), frozenset()))
        return min(types), min(formats)


@dataclass(frozen=True, slots=True)
class CoachFacts:
    """What claim verification needs of a coach."""

    decisions: tuple[Decision, ...]
    qualifications: tuple[QualificationFacts, ...]


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason a claim is rejected: the code, whose it is, and the first day it applies."""

    code: ReasonCode
    subject: Literal["provider", "programme", "coach"]
    on: dt.date


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to one claim."""

    accredited: bool
    reasons: tuple[Reason, ...]
    programme: SubjectOutcome | None
    coach: SubjectOutcome | None
    qualified: bool | None
    reported_day: dt.date


def is_qualified(
    qualifications: Iterable[QualificationFacts],
    guidance_type: str,
    programme_format: str,
    day: dt.date,
    known_at: dt.datetime | None = None,
) -> bool:
    """True when a qualification completed by `day` comes from a training fit for the programme."""
    for qualification in qualifications:
        if qualification.completed_on > day or not qualification.counts(known_at):
            continue
        training = qualification.training
        types, formats = training.guidance_types, training.formats
        if known_at is not None and training.scopes:
            types, formats = scope_as_known_at(training.scopes, known_at, (types, formats))
        if guidance_type not in types or programme_format not in formats:
            continue
        if timeline_of(training.decisions, known_at).status_on(qualification.completed_on) is Status.ACCREDITED:
            return True
    return False


class DesignTimeline:
    """Whether a programme's design is below the care standard on any day, as known at one time."""

    __slots__ = ("_days", "_below")

    def __init__(self, designs: Sequence[DesignVersion], guidance_type: str, programme_format: str, known_at: dt.datetime | None):
        known = [d for d in designs if known_at is None or d.recorded_at <= known_at]
        self._days = sorted({d.effective_from for d in known})
        self._below = [
            care_standard_shortfall(guidance_type, programme_format, design.sessions, design.contact_minutes) is not None
            for design in (design_in_force(known, day) for day in self._days)
            if design is not None
        ]

    def below_on(self, day: dt.date) -> bool:
        """True when the design in force on `day` is below its minimum."""
        if not self._below:
            return False
        return self._below[max(0, bisect_right(self._days, day) - 1)]

    def first_below_day(self, first: dt.date, last: dt.date) -> dt.date | None:
        """The first day in first..last whose design is below the minimum; None if none is."""
        if not self._below or last < first:
            return None
        position = max(0, bisect_right(self._days, first) - 1)
        day = first
        while day <= last:
            if self._below[position]:
                return day
            position += 1
            if position >= len(self._days):
                return None
            day = self._days[position]
        return None


_DESIGN_TIMELINES: dict[tuple[int, str, str], tuple[tuple[DesignVersion, ...], DesignTimeline]] = {}


def design_timeline_of(
    designs: Sequence[DesignVersion], guidance_type: str, programme_format: str, known_at: dt.datetime | None = None
) -> DesignTimeline:
    """DesignTimeline(...), remembered for tuples asked about as known now (as timeline_of remembers timelines)."""
    if known_at is not None or not isinstance(designs, tuple):
        return DesignTimeline(designs, guidance_type, programme_format, known_at)
    key = (id(designs), guidance_type, programme_format)
    cached = _DESIGN_TIMELINES.get(key)
    if cached is not None and cached[0] is designs:
        return cached[1]
    timeline = DesignTimeline(designs, guidance_type, programme_format, None)
    if len(_DESIGN_TIMELINES) >= _TIMELINE_CACHE_SIZE:
        _DESIGN_TIMELINES.clear()
    _DESIGN_TIMELINES[key] = (designs, timeline)
    return timeline


def programme_reason(
    programme: ProgrammeFacts,
    first: dt.date,
    last: dt.date,
    known_at: dt.datetime | None = None,
    care_standard: CareStandard = DEFAULT_CARE_STANDARD,
    timeline: Timeline | None = None,
) -> Reason | None:
    """The programme's reason on its first failing day of first..last (not accredited, or below the standard from strict_from);
    `timeline`: its decisions' timeline as known at `known_at`, when the caller has it."""
    failing = (timeline or timeline_of(programme.decisions, known_at)).first_failing_day(first, last)
    strict_from = care_standard.as_known_at(known_at).strict_from
    accredited_until = last if failing is None else failing[0] - ONE_DAY
    if programme.designs and accredited_until >= strict_from:
        guidance_type, programme_format = programme.scope_at(known_at)
        designs = design_timeline_of(programme.designs, guidance_type, programme_format, known_at)
        below = designs.first_below_day(max(first, strict_from), accredited_until)
        if below is not None:
            return Reason(ReasonCode.PROGRAMME_BELOW_CARE_STANDARD, "programme", below)
    if failing is None:
        return None
    return Reason(PROGRAMME_REASON[failing[1]], "programme", failing[0])


def coach_reason(timeline: Timeline, first: dt.date, last: dt.date) -> Reason | None:
    """The coach's own reason on their first failing day of first..last (whatever the programme), from their timeline."""
    failing = timeline.first_failing_day(first, last)
    return None if failing is None else Reason(COACH_REASON[failing[1]], "coach", failing[0])


def qualified_for(programme: ProgrammeFacts, coach: CoachFacts, first: dt.date, known_at: dt.datetime | None = None) -> bool:
    """Whether the coach is qualified for the programme; qualifications only accumulate, so the claim's first day decides."""
    guidance_type, programme_format = programme.scope_at(known_at)
    return is_qualified(coach.qualifications, guidance_type, programme_format, first, known_at)


def verify_claim(
    programme: ProgrammeFacts | None,
    coach: CoachFacts | None,
    first: dt.date,
    last: dt.date | None = None,
    known_at: dt.datetime | None = None,
    care_standard: CareStandard = DEFAULT_CARE_STANDARD,
) -> Verdict:
    """Verdict on 'programme delivered by coach on first..last', as known at `known_at`."""
    last = first if last is None else last
    if last < first:
        raise ValueError("the period ends before it starts")
    reasons: list[Reason] = []
    programme_timeline = coach_timeline = None
    if programme is None:
        reasons.append(Reason(ReasonCode.PROGRAMME_UNKNOWN, "programme", first))
    else:
        programme_timeline = timeline_of(programme.decisions, known_at)
        reason = programme_reason(programme, first, last, known_at, care_standard, programme_timeline)
        if reason is not None:
            reasons.append(reason)
    if coach is None:
        reasons.append(Reason(ReasonCode.COACH_UNKNOWN, "coach", first))
    else:
        coach_timeline = timeline_of(coach.decisions, known_at)
        reason = coach_reason(coach_timeline, first, last)
        if reason is not None:
            reasons.append(reason)
    qualified: bool | None = None
    if programme is not None and coach is not None:
        qualified = qualified_for(programme, coach, first, known_at)
        if not qualified:
            reasons.append(Reason(ReasonCode.COACH_NOT_QUALIFIED, "coach", first))
    reported_day = min((reason.on for reason in reasons), default=first)
    return Verdict(
        accredited=not reasons,
        reasons=tuple(reasons),
        programme=_outcome(programme_timeline, reported_day),
        coach=_outcome(coach_timeline, reported_day),
        qualified=qualified,
        reported_day=reported_day,
    )


def _outcome(timeline: Timeline | None, day: dt.date) -> Standing | None:
    return None if timeline is None else timeline.standing_on(day)


def sorted_reasons(reasons: Sequence[Reason]) -> list[Reason]:
    """Reasons in the order rules.md lists their codes."""
    return sorted(reasons, key=lambda reason: REASON_ORDER[reason.code])
