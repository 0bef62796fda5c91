"""Accreditation rules (docs/rules.md): pure functions of decisions, no I/O."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable, Literal, Sequence
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ONE_DAY = dt.timedelta(days=1)


def names(vocabulary: type[StrEnum]) -> tuple[str, ...]:
    """The words of a vocabulary in its own order, as plain strings (for Literal types and choice lists)."""
    return tuple(word.value for word in vocabulary)


class SubjectKind(StrEnum):
    """What a decision is about."""

    TRAINING = "training"
    PROGRAMME = "programme"
    COACH = "coach"


class DecisionKind(StrEnum):
    """The five kinds of accreditation decision."""

    GRANT = "grant"
    SUSPEND = "suspend"
    LIFT = "lift"
    REVOKE = "revoke"
    RETRACT = "retract"


class Status(StrEnum):
    """Status of a subject on one date."""

    ACCREDITED = "accredited"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    NOT_YET_ACCREDITED = "not_yet_accredited"
    EXPIRED = "expired"
    NOT_ACCREDITED = "not_accredited"


class ReasonCode(StrEnum):
    """Why a claim is rejected; listed in the order rejected claims report them."""

    PROVIDER_UNKNOWN = "PROVIDER_UNKNOWN"
    PROVIDER_NO_PROGRAMME = "PROVIDER_NO_PROGRAMME"
    PROVIDER_NO_ACCREDITED_PROGRAMME = "PROVIDER_NO_ACCREDITED_PROGRAMME"
    PROGRAMME_UNKNOWN = "PROGRAMME_UNKNOWN"
    PROGRAMME_REVOKED = "PROGRAMME_REVOKED"
    PROGRAMME_SUSPENDED = "PROGRAMME_SUSPENDED"
    PROGRAMME_NOT_YET_ACCREDITED = "PROGRAMME_NOT_YET_ACCREDITED"
    PROGRAMME_EXPIRED = "PROGRAMME_EXPIRED"
    PROGRAMME_NOT_ACCREDITED = "PROGRAMME_NOT_ACCREDITED"
    PROGRAMME_BELOW_CARE_STANDARD = "PROGRAMME_BELOW_CARE_STANDARD"
    COACH_UNKNOWN = "COACH_UNKNOWN"
    COACH_REVOKED = "COACH_REVOKED"
    COACH_SUSPENDED = "COACH_SUSPENDED"
    COACH_NOT_YET_REGISTERED = "COACH_NOT_YET_REGISTERED"
    COACH_EXPIRED = "COACH_EXPIRED"
    COACH_NOT_REGISTERED = "COACH_NOT_REGISTERED"
    COACH_NOT_QUALIFIED = "COACH_NOT_QUALIFIED"


REASON_ORDER = {code: position for position, code in enumerate(ReasonCode)}

PROGRAMME_REASON = {
    Status.REVOKED: ReasonCode.PROGRAMME_REVOKED,
    Status.SUSPENDED: ReasonCode.PROGRAMME_SUSPENDED,
    Status.NOT_YET_ACCREDITED: ReasonCode.PROGRAMME_NOT_YET_ACCREDITED,
    Status.EXPIRED: ReasonCode.PROGRAMME_EXPIRED,
    Status.NOT_ACCREDITED: ReasonCode.PROGRAMME_NOT_ACCREDITED,
}
COACH_REASON = {
    Status.REVOKED: ReasonCode.COACH_REVOKED,
    Status.SUSPENDED: ReasonCode.COACH_SUSPENDED,
    Status.NOT_YET_ACCREDITED: ReasonCode.COACH_NOT_YET_REGISTERED,
    Status.EXPIRED: ReasonCode.COACH_EXPIRED,
    Status.NOT_ACCREDITED: ReasonCode.COACH_NOT_REGISTERED,
}


@dataclass(frozen=True, slots=True)
class DecisionFields:
    """The names a decision kind gives its start date, end date and target (None: the kind has none)."""

    start: str | None = None
    end: str | None = None
    target: str | None = None
    may_override: bool = False
    may_name: frozenset[DecisionKind] = frozenset()  # the kinds of decision its target may be
    reason_published: bool = True  # its reason is shown on public pages, the API and open data
    # Recorded only when a second staff member approves it (REGISTRY_FOUR_EYES); a grant needs that only with an override.
    four_eyes: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """The kind's own fields, besides the ones every decision has."""
        own = tuple(name for name in (self.start, self.end, self.target) if name)
        return own + ((OVERRIDE_FIELD,) if self.may_override else ())


OVERRIDE_FIELD = "override_reason"
# Which fields each kind uses, in the names of the import, the API and the staff forms; stored
# in the generic columns starts_on, ends_on and target_id that Decision also uses.
DECISION_FIELDS: dict[DecisionKind, DecisionFields] = {
    DecisionKind.GRANT: DecisionFields(start="valid_from", end="valid_until", may_override=True),
    DecisionKind.SUSPEND: DecisionFields(start="from", end="until", four_eyes=True),
    DecisionKind.LIFT: DecisionFields(start="date", target="suspension", may_name=frozenset({DecisionKind.SUSPEND})),
    DecisionKind.REVOKE: DecisionFields(start="effective", four_eyes=True),
    DecisionKind.RETRACT: DecisionFields(target="target", may_name=frozenset(DecisionKind) - {DecisionKind.RETRACT}, four_eyes=True),
}
# Decisions recorded before the form said "appears on the public page" (their reason_public is unknown):
# only these kinds' reasons were published then, and only these stay published.
REASON_PUBLISHED_BEFORE_LABEL = frozenset({DecisionKind.SUSPEND, DecisionKind.REVOKE})
# `reason` is the public explanation; `internal_note` is for staff only and never published.
DECISION_COMMON_FIELDS = ("subject", "code", "kind", "reference", "reason", "internal_note")


def reason_is_public(kind: DecisionKind, reason_public: bool | None, void: bool = False) -> bool:
    """Whether a stored decision's reason is published: as recorded, or by the rule of its time when unknown; never for a
    void decision (withdrawn as entered in error: what was entered in error is not repeated in public)."""
    if void:
        return False
    if reason_public is None:
        return kind in REASON_PUBLISHED_BEFORE_LABEL
    return reason_public and DECISION_FIELDS[kind].reason_published


def needs_second_person(kind: DecisionKind, override_reason: str | None) -> bool:
    """Four eyes: suspensions, revocations, retractions and care-standard overrides wait for a second staff member."""
    return DECISION_FIELDS[kind].four_eyes or (DECISION_FIELDS[kind].may_override and bool(override_reason))


# Every kind-specific field name, each once.
DECISION_KIND_FIELDS = tuple(dict.fromkeys(name for fields in DECISION_FIELDS.values() for name in fields.names))


@dataclass(frozen=True, slots=True)
class Decision:
    """One recorded decision, with its dates in the generic columns the kinds share (see DECISION_FIELDS)."""

    id: int
    kind: DecisionKind
    recorded_at: dt.datetime
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    target: int | None = None
    reference: str = ""


@dataclass(frozen=True, slots=True)
class GrantSpan:
    """A grant with the day from which later revocations cut it.

    Its end is the earlier of `valid_until` and the day before `cut_from`; it is kept as those two
    bounds so that the first and last calendar days need no date arithmetic.
    """

    decision: Decision
    valid_from: dt.date
    valid_until: dt.date | None
    cut_from: dt.date | None

    def ended_before(self, day: dt.date) -> bool:
        """True when the grant's end is before `day`."""
        return (self.valid_until is not None and self.valid_until < day) or (self.cut_from is not None and self.cut_from <= day)

    def covers(self, day: dt.date) -> bool:
        """True when the grant accredits this day."""
        return self.valid_from <= day and not self.ended_before(day)


@dataclass(frozen=True, slots=True)
class SuspensionSpan:
    """A suspension with the day its earliest lift ends it."""

    decision: Decision
    starts_on: dt.date
    until: dt.date | None
    lifted_on: dt.date | None

    def covers(self, day: dt.date) -> bool:
        """True when the subject is suspended on this day."""
        if day < self.starts_on or (self.until is not None and day > self.until):
            return False
        return self.lifted_on is None or day < self.lifted_on


def known_decisions(decisions: Iterable[Decision], known_at: dt.datetime | None) -> list[Decision]:
    """Decisions recorded by `known_at`, minus those retracted by then, in recording order."""
    known = [d for d in decisions if known_at is None or d.recorded_at <= known_at]
    retracted = {d.target for d in known if d.kind is DecisionKind.RETRACT}
    live = [d for d in known if d.kind is not DecisionKind.RETRACT and d.id not in retracted]
    live.sort(key=lambda d: d.id)
    return live


class Timeline:
    """Status of one subject on any date, as known at one time."""

    __slots__ = ("grants", "suspensions", "_days", "_statuses")

    def __init__(self, decisions: Iterable[Decision], known_at: dt.datetime | None = None):
        self._days: list[dt.date] | None = None
        self._statuses: list[Status] = []
        live = known_decisions(decisions, known_at)
        revokes = [d for d in live if d.kind is DecisionKind.REVOKE and d.starts_on is not None]
        lifts = [d for d in live if d.kind is DecisionKind.LIFT and d.starts_on is not None]
        self.grants: list[GrantSpan] = []
        for grant in live:
            if grant.kind is not DecisionKind.GRANT or grant.starts_on is None:
                continue
            cut_from = min((r.starts_on for r in revokes if r.id > grant.id and r.starts_on is not None), default=None)
            self.grants.append(GrantSpan(grant, grant.starts_on, grant.ends_on, cut_from))
        self.suspensions: list[SuspensionSpan] = []
        for suspension in live:
            if suspension.kind is not DecisionKind.SUSPEND or suspension.starts_on is None:
                continue
            lifted_on = min((lift.starts_on for lift in lifts if lift.target == suspension.id and lift.starts_on is not None), default=None)
            self.suspensions.append(SuspensionSpan(suspension, suspension.starts_on, suspension.ends_on, lifted_on))

    def freeze(self) -> "Timeline":
        """Precompute the status of every stretch between change days, for timelines asked often."""
        days = self.change_days()
        self._statuses = [self._status(day) for day in days]
        self._days = days
        return self

    def status_on(self, day: dt.date) -> Status:
        """The first matching rule of rules.md gives the status on `day`."""
        if self._days is None:
            return self._status(day)
        position = bisect_right(self._days, day) - 1
        if position >= 0:
            return self._statuses[position]
        # Before the first change day no grant has started yet.
        return Status.NOT_YET_ACCREDITED if self.grants else Status.NOT_ACCREDITED

    def _status(self, day: dt.date) -> Status:
        if any(grant.covers(day) for grant in self.grants):
            if any(suspension.covers(day) for suspension in self.suspensions):
                return Status.SUSPENDED
            return Status.ACCREDITED
        started = [grant for grant in self.grants if grant.valid_from <= day]
        if started:
            latest = max(started, key=lambda grant: (grant.valid_from, grant.decision.id))
            if latest.cut_from is not None and latest.cut_from <= day:
                return Status.REVOKED
        if not self.grants:
            return Status.NOT_ACCREDITED
        if not started:
            return Status.NOT_YET_ACCREDITED
        if all(grant.ended_before(day) for grant in self.grants):
            return Status.EXPIRED
        return Status.NOT_ACCREDITED

    def covering_grant(self, day: dt.date) -> Decision | None:
        """The grant that accredits `day` (latest start, then latest recorded), if any."""
        covering = [grant for grant in self.grants if grant.covers(day)]
        if not covering:
            return None
        return max(covering, key=lambda grant: (grant.valid_from, grant.decision.id)).decision

    def standing_on(self, day: dt.date) -> "Standing":
        """The status on `day` and the grant covering it."""
        return Standing(self.status_on(day), self.covering_grant(day))

    def grant_reaches(self, day: dt.date) -> bool:
        """True when some grant covers a day on or after `day`."""
        for grant in self.grants:
            if grant.valid_until is not None and grant.valid_until < max(day, grant.valid_from):
                continue
            if grant.cut_from is not None and grant.cut_from <= max(day, grant.valid_from):
                continue
            return True
        return False

    def change_days(self) -> list[dt.date]:
        """Every date on which the status may differ from the day before."""
        days: set[dt.date] = set()
        for grant in self.grants:
            days.add(grant.valid_from)
            if grant.valid_until is not None and grant.valid_until < dt.date.max:
                days.add(grant.valid_until + ONE_DAY)
            if grant.cut_from is not None:
                days.add(grant.cut_from)
        for suspension in self.suspensions:
            days.add(suspension.starts_on)
            if suspension.until is not None and suspension.until < dt.date.max:
                days.add(suspension.until + ONE_DAY)
            if suspension.lifted_on is not None:
                days.add(suspension.lifted_on)
        return sorted(days)

    def first_failing_day(self, first: dt.date, last: dt.date) -> tuple[dt.date, Status] | None:
        """The first day in first..last that is not accredited, with its status; None if all are."""
        days = self._days if self._days is not None else self.change_days()
        candidates = [first] + [day for day in days[bisect_right(days, first):] if day <= last]
        for day in candidates:
            status = self.status_on(day)
            if status is not Status.ACCREDITED:
                return day, status
        return None


# Timelines of decision tuples as known now, by identity: the verification index hands the same
# tuple for a subject until the subject changes, so each timeline is built once, not per claim.
_TIMELINES: dict[int, tuple[tuple[Decision, ...], Timeline]] = {}
_TIMELINE_CACHE_SIZE = 400_000


def timeline_of(decisions: Sequence[Decision], known_at: dt.datetime | None = None) -> Timeline:
    """Timeline(decisions, known_at), remembered for tuples asked about as known now."""
    if known_at is not None or not isinstance(decisions, tuple):
        return Timeline(decisions, known_at)
    cached = _TIMELINES.get(id(decisions))
    if cached is not None and cached[0] is decisions:
        return cached[1]
    timeline = Timeline(decisions).freeze()
    if len(_TIMELINES) >= _TIMELINE_CACHE_SIZE:
        _TIMELINES.clear()
    _TIMELINES[id(decisions)] = (decisions, timeline)
    return timeline


def status_on(decisions: Iterable[Decision], day: dt.date, known_at: dt.datetime | None = None) -> Status:
    """Status of a subject with these decisions on `day`, as known at `known_at` (None: now)."""
    return Timeline(decisions, known_at).status_on(day)


@dataclass(frozen=True, slots=True)
class Standing:
    """A subject's status on one day and the grant covering that day, if any."""

    status: Status
    accreditation: Decision | None


# The name verdicts have always used for a subject's standing on the reported day.
SubjectOutcome = Standing


def standing(decisions: Sequence[Decision], on: dt.date, known_at: dt.datetime | None = None) -> Standing:
    """Status on `on` and the grant covering it; a tuple asked about as known now reuses its timeline."""
    return timeline_of(decisions, known_at).standing_on(on)


@dataclass(frozen=True, slots=True)
class DecisionLinks:
    """How a subject's decisions refer to each other, as known now."""

    counting: tuple[Decision, ...]  # neither retracted nor a retraction, in recording order
    retracted_by: dict[int, Decision]  # decision id -> the retraction that withdrew it
    lifted_by: dict[int, Decision]  # suspension id -> the lift that ends it (the earliest, as the timeline has it)

    @property
    def open_suspensions(self) -> tuple[Decision, ...]:
        """Counting suspensions no counting lift ends: the ones a lift may still name."""
        return tuple(d for d in self.counting if d.kind is DecisionKind.SUSPEND and d.id not in self.lifted_by)

    def choices(self, kind: DecisionKind) -> tuple[Decision, ...]:
        """The decisions a new decision of `kind` may still name: counting ones of the kinds it names, not yet named by one like it."""
        named = {d.target for d in self.counting if d.kind is kind}
        return tuple(d for d in self.counting if d.kind in DECISION_FIELDS[kind].may_name and d.id not in named)


def history(decisions: Iterable[Decision]) -> DecisionLinks:
    """Which decisions still count, which retraction withdrew which decision, and which lift ends which suspension."""
    decisions = list(decisions)
    counting = known_decisions(decisions, None)
    retracted_by: dict[int, Decision] = {}
    for retraction in sorted((d for d in decisions if d.kind is DecisionKind.RETRACT), key=lambda d: d.id):
        if retraction.target is not None:
            retracted_by.setdefault(retraction.target, retraction)
    lifted_by: dict[int, Decision] = {}
    for lift in counting:
        if lift.kind is not DecisionKind.LIFT or lift.target is None or lift.starts_on is None:
            continue
        earliest = lifted_by.get(lift.target)
        if earliest is None or earliest.starts_on is None or lift.starts_on < earliest.starts_on:
            lifted_by[lift.target] = lift
    return DecisionLinks(tuple(counting), retracted_by, lifted_by)


@dataclass(frozen=True, slots=True)
class StatusCause:
    """The decision behind a subject's status on a day, and the days that status runs (None: no such day)."""

    status: Status
    decision: Decision | None
    since: dt.date | None
    until: dt.date | None  # the last day, as far as known; None: no end (or, suspended, until lifted)


def _last_day(grant: GrantSpan) -> dt.date | None:
    ends = [day for day in (grant.valid_until, grant.cut_from - ONE_DAY if grant.cut_from is not None else None) if day is not None]
    return min(ends) if ends else None


def status_cause(decisions: Iterable[Decision], on: dt.date) -> StatusCause:
    """The status on `on` as known now, with the decision that makes it and its first and last day, for one true sentence."""
    decisions = list(decisions)
    timeline = Timeline(decisions)
    status = timeline.status_on(on)
    if status is Status.SUSPENDED:
        suspension = min((s for s in timeline.suspensions if s.covers(on)), key=lambda s: (s.starts_on, s.decision.id))
        ends = [day for day in (suspension.until, suspension.lifted_on - ONE_DAY if suspension.lifted_on else None) if day is not None]
        return StatusCause(status, suspension.decision, suspension.starts_on, min(ends) if ends else None)
    if status is Status.ACCREDITED:
        grant = max((g for g in timeline.grants if g.covers(on)), key=lambda g: (g.valid_from, g.decision.id))
        return StatusCause(status, grant.decision, grant.valid_from, _last_day(grant))
    if status is Status.REVOKED:
        latest = max((g for g in timeline.grants if g.valid_from <= on), key=lambda g: (g.valid_from, g.decision.id))
        revocation = next(d for d in known_decisions(decisions, None)
                          if d.kind is DecisionKind.REVOKE and d.id > latest.decision.id and d.starts_on == latest.cut_from)
        return StatusCause(status, revocation, revocation.starts_on, None)
    if status is Status.EXPIRED:
        ended = max(timeline.grants, key=lambda g: (_last_day(g) or dt.date.max, g.decision.id))
        return StatusCause(status, ended.decision, ended.valid_from, _last_day(ended))
    if status is Status.NOT_YET_ACCREDITED:
        coming = min((g for g in timeline.grants if g.valid_from > on), key=lambda g: (g.valid_from, g.decision.id), default=None)
        if coming is not None:
            return StatusCause(status, coming.decision, coming.valid_from, _last_day(coming))
    return StatusCause(status, None, None, None)


# --- what the rules read besides decisions, as appended versions ----------------------------------

EARLIEST_DAY = dt.date(1, 1, 1)  # a design recorded without a date describes every day of care


@dataclass(frozen=True, slots=True)
class DesignVersion:
    """One version of a programme's design: from which day of care, its sessions and contact minutes."""

    effective_from: dt.date
    sessions: int | None
    contact_minutes: int | None
    recorded_at: dt.datetime
    id: int = 0  # recording order among the programme's versions
    override_reason: str | None = None


def design_in_force(designs: Iterable[DesignVersion], day: dt.date, known_at: dt.datetime | None = None) -> DesignVersion | None:
    """Of the versions recorded by `known_at`, the one with the latest effective_from <= day (ties: recorded last), else the earliest."""
    known = [d for d in designs if known_at is None or d.recorded_at <= known_at]
    if not known:
        return None
    started = [d for d in known if d.effective_from <= day]
    if started:
        return max(started, key=lambda d: (d.effective_from, d.recorded_at, d.id))
    first = min(d.effective_from for d in known)
    return max((d for d in known if d.effective_from == first), key=lambda d: (d.recorded_at, d.id))


@dataclass(frozen=True, slots=True)
class ScopeVersion:
    """A version of what a programme is (one guidance type and format) or a training covers (several)."""

    guidance_types: frozenset[str]
    formats: frozenset[str]
    recorded_at: dt.datetime


def scope_as_known_at(
    versions: Sequence[ScopeVersion], known_at: dt.datetime | None, current: tuple[frozenset[str], frozenset[str]]
) -> tuple[frozenset[str], frozenset[str]]:
    """Guidance types and formats as they stood at `known_at`: the last version recorded by then (none yet: the first)."""
    if known_at is None or not versions:
        return current
    chosen = versions[0]
    for version in versions:
        if version.recorded_at <= known_at:
            chosen = version
    return chosen.guidance_types, chosen.formats


@dataclass(frozen=True, slots=True)
class CareStandardDates:
    """When the care standard applies: checked when recording from in_force_from, on every day of care from strict_from."""

    in_force_from: dt.date
    strict_from: dt.date
    recorded_at: dt.datetime | None = None  # None: the defaults, known since ever


DEFAULT_CARE_STANDARD_DATES = CareStandardDates(dt.date(2026, 1, 1), dt.date(2027, 1, 1))


@dataclass(frozen=True, slots=True)
class CareStandard:
    """The care-standard record: its versions in recording order, versioned in transaction time like decisions."""

    versions: tuple[CareStandardDates, ...] = ()

    def as_known_at(self, known_at: dt.datetime | None = None) -> CareStandardDates:
        """The dates as they stood at `known_at` (None: now); before any version, the defaults."""
        dates = DEFAULT_CARE_STANDARD_DATES
        for version in self.versions:
            if known_at is None or (version.recorded_at is not None and version.recorded_at <= known_at):
                dates = version
        return dates


DEFAULT_CARE_STANDARD = CareStandard()


# --- claims -------------------------------------------------------------------------------


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
) -> Reason | None:
    """The programme's reason on its first failing day of first..last (not accredited, or below the standard from strict_from)."""
    failing = timeline_of(programme.decisions, known_at).first_failing_day(first, last)
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
        reason = programme_reason(programme, first, last, known_at, care_standard)
        if reason is not None:
            reasons.append(reason)
    if coach is None:
        reasons.append(Reason(ReasonCode.COACH_UNKNOWN, "coach", first))
    else:
        coach_timeline = timeline_of(coach.decisions, known_at)
        failing = coach_timeline.first_failing_day(first, last)
        if failing is not None:
            reasons.append(Reason(COACH_REASON[failing[1]], "coach", failing[0]))
    qualified: bool | None = None
    if programme is not None and coach is not None:
        # Qualifications only accumulate, so the first day of the claim decides.
        guidance_type, programme_format = programme.scope_at(known_at)
        qualified = is_qualified(coach.qualifications, guidance_type, programme_format, first, known_at)
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


# --- declaration lines: a provider's AGB code instead of a programme code --------------------------

COACH_STATUS_REASONS = frozenset(COACH_REASON.values()) | {ReasonCode.COACH_UNKNOWN}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One of the provider's programmes, judged as if the claim had named it."""

    code: str
    facts: ProgrammeFacts
    verdict: Verdict

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """Why this programme does not fit: its programme reason and COACH_NOT_QUALIFIED (the coach's own status aside)."""
        return tuple(reason for reason in self.verdict.reasons if reason.code not in COACH_STATUS_REASONS)

    @property
    def free(self) -> bool:
        """True when the programme has no programme reason on the claim's days."""
        return all(reason.subject != "programme" for reason in self.verdict.reasons)

    @property
    def fits(self) -> bool:
        """Free of programme reasons, and the coach is qualified for it on the first day."""
        return self.free and self.verdict.qualified is True


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
    # Each candidate through the very verdict a claim by its programme code gets, guidance type as known at T.
    candidates = tuple(
        Candidate(code, facts, verify_claim(facts, coach, first, last, known_at, care_standard))
        for code, facts in sorted(programmes or (), key=lambda item: item[0])
        if guidance_type is None or facts.scope_at(known_at)[0] == guidance_type
    )
    # The coach's own reasons do not depend on the programme: take them from the first candidate's verdict, or
    # judge them once with no programme when there is none.
    source = candidates[0].verdict if candidates else verify_claim(None, coach, first, last, known_at, care_standard)
    reasons = [reason for reason in source.reasons if reason.code in COACH_STATUS_REASONS]
    chosen = next((candidate for candidate in candidates if candidate.fits), None)
    if programmes is None:
        reasons.append(Reason(ReasonCode.PROVIDER_UNKNOWN, "provider", first))
    elif not candidates:
        reasons.append(Reason(ReasonCode.PROVIDER_NO_PROGRAMME, "provider", first))
    elif not any(candidate.free for candidate in candidates):
        # The first day on which one of them failed.
        failed_on = min(reason.on for candidate in candidates for reason in candidate.verdict.reasons if reason.subject == "programme")
        reasons.append(Reason(ReasonCode.PROVIDER_NO_ACCREDITED_PROGRAMME, "provider", failed_on))
    elif chosen is None and coach is not None:
        reasons.append(Reason(ReasonCode.COACH_NOT_QUALIFIED, "coach", first))
    reasons = sorted_reasons(reasons)
    reported_day = min((reason.on for reason in reasons), default=first)
    coach_timeline = None if coach is None else timeline_of(coach.decisions, known_at)
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


# --- care standard (Zorgstandaard Tabaksverslaving 2025) -------------------------------------

# The default dates; the registry's own are the care-standard record (CareStandard), changed by an admin.
CARE_STANDARD_FROM = DEFAULT_CARE_STANDARD_DATES.in_force_from


class GuidanceType(StrEnum):
    """Kortdurende of intensieve begeleiding."""

    SHORT = "short"
    INTENSIVE = "intensive"


class ProgrammeFormat(StrEnum):
    """Individueel of groep."""

    INDIVIDUAL = "individual"
    GROUP = "group"


class SessionMode(StrEnum):
    """How a programme's sessions are held."""

    ON_SITE = "on_site"
    PHONE = "phone"
    VIDEO = "video"


@dataclass(frozen=True, slots=True)
class CareStandardMinimum:
    """Minimum sessions and total contact minutes (short guidance: aftercare included; intensive: excluded)."""

    sessions: int
    minutes: int


CARE_STANDARD_MINIMUMS = {
    (GuidanceType.SHORT, ProgrammeFormat.INDIVIDUAL): CareStandardMinimum(4, 40),
    (GuidanceType.SHORT, ProgrammeFormat.GROUP): CareStandardMinimum(4, 40),
    (GuidanceType.INTENSIVE, ProgrammeFormat.INDIVIDUAL): CareStandardMinimum(7, 180),
    (GuidanceType.INTENSIVE, ProgrammeFormat.GROUP): CareStandardMinimum(7, 270),
}


@dataclass(frozen=True, slots=True)
class Shortfall:
    """How far a programme design falls below its care-standard minimum."""

    minimum: CareStandardMinimum
    sessions: int
    minutes: int

    @property
    def missing_sessions(self) -> int:
        """Sessions short of the minimum (0 when enough)."""
        return max(0, self.minimum.sessions - self.sessions)

    @property
    def missing_minutes(self) -> int:
        """Contact minutes short of the minimum (0 when enough)."""
        return max(0, self.minimum.minutes - self.minutes)

    def describe(self) -> str:
        """Plain words naming the shortfall."""
        parts = []
        if self.missing_sessions:
            parts.append(f"{self.sessions} sessions where the minimum is {self.minimum.sessions}")
        if self.missing_minutes:
            parts.append(f"{self.minutes} contact minutes where the minimum is {self.minimum.minutes}")
        return "the programme design has " + " and ".join(parts)


def care_standard_shortfall(
    guidance_type: str, programme_format: str, sessions: int | None, contact_minutes: int | None
) -> Shortfall | None:
    """The shortfall of a design against the care standard, or None when it meets it."""
    minimum = CARE_STANDARD_MINIMUMS[(GuidanceType(guidance_type), ProgrammeFormat(programme_format))]
    shortfall = Shortfall(minimum, sessions or 0, contact_minutes or 0)
    if shortfall.missing_sessions or shortfall.missing_minutes:
        return shortfall
    return None


class GrantCheckOutcome(StrEnum):
    """What the care-standard check says of a programme grant."""

    NOT_CHECKED = "not_checked"
    MEETS_STANDARD = "meets_standard"
    OVERRIDDEN = "overridden"
    REFUSED = "refused"


class GrantRefusal(StrEnum):
    """Why the care standard refuses a programme grant."""

    BELOW_MINIMUM = "below_minimum"
    OVERRIDE_ENDED = "override_ended"
    ADMIN_ONLY = "admin_only"


# What a refusal adds to the shortfall, in the words of the rules' messages.
REFUSAL_NOTES = {
    GrantRefusal.BELOW_MINIMUM: "",
    GrantRefusal.OVERRIDE_ENDED: "; the transition override ended on %(strict_from)s",
    GrantRefusal.ADMIN_ONLY: "; only an admin may override it",
}


@dataclass(frozen=True, slots=True)
class GrantCheck:
    """The care-standard check's outcome; a refusal says why and how far the design falls short."""

    outcome: GrantCheckOutcome
    shortfall: Shortfall | None = None
    refusal: GrantRefusal | None = None
    strict_from: dt.date = DEFAULT_CARE_STANDARD_DATES.strict_from

    @property
    def refused(self) -> bool:
        """True when the grant may not be recorded."""
        return self.outcome is GrantCheckOutcome.REFUSED

    @property
    def message(self) -> str:
        """A refusal in plain words naming the shortfall; empty when the grant may be recorded."""
        if self.refusal is None or self.shortfall is None:
            return ""
        note = REFUSAL_NOTES[self.refusal] % {"strict_from": self.strict_from.isoformat()}
        return f"refused by the care standard: {self.shortfall.describe()}{note}"


def judge_shortfall(
    shortfall: Shortfall | None, recorded_on: dt.date, override_reason: str | None, may_override: bool, dates: CareStandardDates
) -> GrantCheck:
    """The one override rule for the care standard: an admin, with a written reason, while recording before strict_from."""
    if shortfall is None:
        return GrantCheck(GrantCheckOutcome.MEETS_STANDARD, strict_from=dates.strict_from)
    if not (override_reason or "").strip():
        refusal = GrantRefusal.BELOW_MINIMUM
    elif recorded_on >= dates.strict_from:
        refusal = GrantRefusal.OVERRIDE_ENDED
    elif not may_override:
        refusal = GrantRefusal.ADMIN_ONLY
    else:
        return GrantCheck(GrantCheckOutcome.OVERRIDDEN, shortfall, strict_from=dates.strict_from)
    return GrantCheck(GrantCheckOutcome.REFUSED, shortfall, refusal, dates.strict_from)


def check_programme_grant(
    guidance_type: str,
    programme_format: str,
    sessions: int | None,
    contact_minutes: int | None,
    valid_from: dt.date,
    recorded_on: dt.date,
    override_reason: str | None,
    may_override: bool,
    dates: CareStandardDates = DEFAULT_CARE_STANDARD_DATES,
) -> GrantCheck:
    """Care-standard check of a programme grant (the design in force on valid_from), with the transition override."""
    if valid_from < dates.in_force_from:
        return GrantCheck(GrantCheckOutcome.NOT_CHECKED, strict_from=dates.strict_from)
    shortfall = care_standard_shortfall(guidance_type, programme_format, sessions, contact_minutes)
    return judge_shortfall(shortfall, recorded_on, override_reason, may_override, dates)


def check_design_version(
    guidance_type: str,
    programme_format: str,
    design: DesignVersion,
    decisions: Sequence[Decision],
    recorded_on: dt.date,
    may_override: bool,
    dates: CareStandardDates = DEFAULT_CARE_STANDARD_DATES,
) -> GrantCheck:
    """Care-standard check of a new design version, for a programme holding a grant that reaches in_force_from."""
    if design.effective_from < dates.in_force_from or not Timeline(decisions).grant_reaches(dates.in_force_from):
        return GrantCheck(GrantCheckOutcome.NOT_CHECKED, strict_from=dates.strict_from)
    shortfall = care_standard_shortfall(guidance_type, programme_format, design.sessions, design.contact_minutes)
    return judge_shortfall(shortfall, recorded_on, design.override_reason, may_override, dates)


def amsterdam_date(moment: dt.datetime) -> dt.date:
    """The calendar date in Europe/Amsterdam at an aware moment."""
    return moment.astimezone(AMSTERDAM).date()


def sorted_reasons(reasons: Sequence[Reason]) -> list[Reason]:
    """Reasons in the order rules.md lists their codes."""
    return sorted(reasons, key=lambda reason: REASON_ORDER[reason.code])
