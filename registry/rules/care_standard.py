"""The care standard: design and scope versions, the record's dates, minimums, and the recording checks with the override rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Iterable, Sequence

from registry.rules.timelines import Timeline
from registry.rules.vocabulary import Decision, GuidanceType, ProgrammeFormat

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


# The default dates; the registry's own are the care-standard record (CareStandard), changed by an admin.
CARE_STANDARD_FROM = DEFAULT_CARE_STANDARD_DATES.in_force_from


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
