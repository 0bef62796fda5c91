"""A subject's status on any day as known at a time, the grant behind it, and how its decisions refer to each other."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from typing import Iterable, Sequence

from registry.rules.vocabulary import DECISION_FIELDS, ONE_DAY, Decision, DecisionKind, Status


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
        status = self.status_on(first)
        if status is not Status.ACCREDITED:
            return first, status
        if last <= first:
            return None
        # After the first day the status can only change on a change day.
        days = self._days if self._days is not None else self.change_days()
        for day in days[bisect_right(days, first):bisect_right(days, last)]:
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
