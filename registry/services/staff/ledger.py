"""Checking new decisions against the ones a subject already has, stored or earlier in the same file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from registry import rules
from registry.messages import N_
from registry.rules import DECISION_FIELDS, DecisionKind
from registry.services.errors import FieldError

if TYPE_CHECKING:
    from registry.services.staff.decisions import DecisionRequest


@dataclass(slots=True)
class LedgerEntry:
    """A decision as the ledger knows it; new ones carry a provisional negative id."""

    id: int
    kind: DecisionKind
    reference: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    target_id: int | None
    reason: str
    override_reason: str | None
    internal_note: str | None = None
    retracted: bool = False

    def same_as(self, other: "LedgerEntry") -> bool:
        """True when both say the same thing (ids aside)."""
        return (self.kind, self.starts_on, self.ends_on, self.target_id, self.reason, self.override_reason, self.internal_note or "") == (
            other.kind,
            other.starts_on,
            other.ends_on,
            other.target_id,
            other.reason,
            other.override_reason,
            other.internal_note or "",
        )


@dataclass(frozen=True, slots=True)
class ProgrammeDesign:
    """What the care standard looks at."""

    guidance_type: str
    format: str
    sessions: int | None
    contact_minutes: int | None
    designs: tuple[rules.DesignVersion, ...] = ()  # the design history; the top-level values serve when there is none
    dates: rules.CareStandardDates = rules.DEFAULT_CARE_STANDARD_DATES

    def on(self, day: dt.date) -> tuple[int | None, int | None]:
        """Sessions and contact minutes of the design in force on `day`."""
        version = rules.design_in_force(self.designs, day)
        return (self.sessions, self.contact_minutes) if version is None else (version.sessions, version.contact_minutes)


def entry_from_row(row: dict[str, Any]) -> LedgerEntry:
    """A stored decision row as a ledger entry."""
    return LedgerEntry(
        id=row["id"],
        kind=DecisionKind(row["kind"]),
        reference=row["reference"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        target_id=row["target_id"],
        reason=row["reason"] or "",
        override_reason=row["override_reason"],
        internal_note=row.get("internal_note"),
    )


class SubjectLedger:
    """The decisions of one subject, to check a new decision against."""

    def __init__(self, subject_kind: str, code: str, stored: list[LedgerEntry]):
        self.subject_kind = subject_kind
        self.code = code
        self.by_reference: dict[str, LedgerEntry] = {}
        self.by_id: dict[int, LedgerEntry] = {}
        for entry in sorted(stored, key=lambda entry: entry.id):
            self._remember(entry)

    def _remember(self, entry: LedgerEntry) -> None:
        self.by_reference[entry.reference.upper()] = entry
        self.by_id[entry.id] = entry
        if entry.kind is DecisionKind.RETRACT and entry.target_id in self.by_id:
            self.by_id[entry.target_id].retracted = True

    def check(
        self,
        request: "DecisionRequest",
        provisional_id: int,
        design: ProgrammeDesign | None,
        recorded_on: dt.date,
        may_override: bool,
        allow_identical: bool,
    ) -> tuple[LedgerEntry | None, list[FieldError]]:
        """The entry to record (None: an identical one is stored) and the problems found."""
        kind, path = request.kind, request.path
        fields = DECISION_FIELDS[kind]
        errors: list[FieldError] = []
        target = self.by_reference.get(request.target.upper()) if request.target is not None else None
        entry = LedgerEntry(
            id=provisional_id,
            kind=kind,
            reference=request.reference,
            starts_on=request.starts_on,
            ends_on=request.ends_on,
            target_id=target.id if target is not None else None,
            reason=request.reason,
            override_reason=request.override_reason if fields.may_override else None,
            internal_note=request.internal_note,
        )
        existing = self.by_reference.get(entry.reference.upper())
        if existing is not None and allow_identical and existing.same_as(entry):
            return None, []
        if fields.target and request.target is not None:
            self._check_target(kind, request.target, f"{path}.{fields.target}", errors)
        if existing is not None:
            errors.append(FieldError.said(f"{path}.reference", N_("reference %(reference)s is already used for a different decision of %(kind)s %(code)s"),
                                          "reference_conflict", reference=entry.reference, kind=self.subject_kind, code=self.code))
        if kind is DecisionKind.GRANT and design is not None and entry.starts_on is not None:
            sessions, contact_minutes = design.on(entry.starts_on)
            check = rules.check_programme_grant(
                design.guidance_type,
                design.format,
                sessions,
                contact_minutes,
                entry.starts_on,
                recorded_on,
                entry.override_reason,
                may_override,
                design.dates,
            )
            if check.refused:
                errors.append(care_standard_error(f"{path}.{fields.start}", check, entry.starts_on))
        return (None if errors else entry), errors

    def _check_target(self, kind: DecisionKind, reference: str, field: str, errors: list[FieldError]) -> None:
        target = self.by_reference.get(reference.upper())
        if target is None:
            errors.append(FieldError.said(field, N_("no decision with reference %(reference)s for %(kind)s %(code)s"), "target_missing",
                                          reference=reference, kind=self.subject_kind, code=self.code))
            return
        if target.kind not in DECISION_FIELDS[kind].may_name:
            # Which kinds a decision may name is the rules' table; the words say what was expected instead.
            if target.kind is DecisionKind.RETRACT and kind is DecisionKind.RETRACT:
                errors.append(FieldError.said(field, N_("%(reference)s is itself a retraction and cannot be retracted"), "target_is_retraction",
                                              reference=reference))
            else:
                errors.append(FieldError.said(field, N_("%(reference)s is a %(kind)s, not a suspension"), "target_not_suspension",
                                              reference=reference, kind=str(target.kind)))
        elif target.retracted:
            errors.append(FieldError.said(field, N_("%(reference)s has already been retracted"), "target_retracted", reference=reference))

    def add(self, entry: LedgerEntry) -> None:
        """Take a checked entry into account for the decisions after it."""
        self._remember(entry)


def care_standard_error(field: str, check: rules.GrantCheck, valid_from: dt.date) -> FieldError:
    """The refusal of a grant by the care standard, naming the shortfall (and why no override applies)."""
    shortfall = check.shortfall
    assert shortfall is not None and check.refusal is not None
    params = {"valid_from": valid_from.isoformat(), "sessions": shortfall.sessions, "minutes": shortfall.minutes,
              "minimum_sessions": shortfall.minimum.sessions, "minimum_minutes": shortfall.minimum.minutes,
              "strict_from": check.strict_from.isoformat()}
    return FieldError(field, f"grant {check.message}", "care_standard", CARE_STANDARD_TEMPLATES[check.refusal], tuple(params.items()))


# One message per reason for the refusal; each id is written out whole so the translation catalog finds it.
CARE_STANDARD_TEMPLATES = {
    rules.GrantRefusal.BELOW_MINIMUM: N_(
        "A grant from %(valid_from)s does not meet the care standard (Zorgstandaard Tabaksverslaving 2025): the design has "
        "%(sessions)d sessions and %(minutes)d contact minutes, the minimum is %(minimum_sessions)d sessions and "
        "%(minimum_minutes)d minutes."),
    rules.GrantRefusal.OVERRIDE_ENDED: N_(
        "A grant from %(valid_from)s does not meet the care standard (Zorgstandaard Tabaksverslaving 2025): the design has "
        "%(sessions)d sessions and %(minutes)d contact minutes, the minimum is %(minimum_sessions)d sessions and "
        "%(minimum_minutes)d minutes. The transition override ended on %(strict_from)s."),
    rules.GrantRefusal.ADMIN_ONLY: N_(
        "A grant from %(valid_from)s does not meet the care standard (Zorgstandaard Tabaksverslaving 2025): the design has "
        "%(sessions)d sessions and %(minutes)d contact minutes, the minimum is %(minimum_sessions)d sessions and "
        "%(minimum_minutes)d minutes. Only an admin may override this."),
}
