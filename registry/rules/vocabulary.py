"""The registry's vocabulary: kinds, statuses, reason codes, each decision kind's fields, the care standard's enums."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
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


def amsterdam_date(moment: dt.datetime) -> dt.date:
    """The calendar date in Europe/Amsterdam at an aware moment."""
    return moment.astimezone(AMSTERDAM).date()
