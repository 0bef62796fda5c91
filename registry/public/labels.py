"""Words for the registry's vocabularies (the enums of registry.rules and staff roles), marked for translation.

English ids, Dutch catalog; every mapping is keyed by its enum and names each member (a unit test checks).
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.messages import N_
from registry.roles import Role
from registry.rules import DecisionKind, GuidanceType, ProgrammeFormat, ReasonCode, SessionMode, Status, SubjectKind

STATUS_WORDS = {
    SubjectKind.PROGRAMME: {
        Status.ACCREDITED: N_("accredited"),
        Status.SUSPENDED: N_("suspended"),
        Status.REVOKED: N_("revoked"),
        Status.NOT_YET_ACCREDITED: N_("not yet accredited"),
        Status.EXPIRED: N_("expired"),
        Status.NOT_ACCREDITED: N_("not accredited"),
    },
    SubjectKind.COACH: {
        Status.ACCREDITED: N_("registered"),
        Status.SUSPENDED: N_("suspended"),
        Status.REVOKED: N_("registration revoked"),
        Status.NOT_YET_ACCREDITED: N_("not yet registered"),
        Status.EXPIRED: N_("registration expired"),
        Status.NOT_ACCREDITED: N_("not registered"),
    },
}
STATUS_WORDS[SubjectKind.TRAINING] = STATUS_WORDS[SubjectKind.PROGRAMME]
# A symbol beside the word so that no status is told by colour alone; screen readers read the word.
STATUS_SYMBOLS = {
    Status.ACCREDITED: "✓",
    Status.SUSPENDED: "‖",
    Status.REVOKED: "✕",
    Status.NOT_YET_ACCREDITED: "…",
    Status.EXPIRED: "○",
    Status.NOT_ACCREDITED: "–",
}
STATUS_ORDER = list(Status)

# The status today in one sentence with its decision (rules.status_cause): (with a last day, without one).
# %(since)s and %(until)s are the status's first and last day, %(reference)s the decision behind it.
STATUS_SENTENCES = {
    SubjectKind.PROGRAMME: {
        Status.ACCREDITED: (N_("Accredited since %(since)s (%(reference)s), up to and including %(until)s."),
                            N_("Accredited since %(since)s (%(reference)s), with no end date.")),
        Status.SUSPENDED: (N_("Suspended since %(since)s (%(reference)s), up to and including %(until)s."),
                           N_("Suspended since %(since)s (%(reference)s), until lifted.")),
        Status.REVOKED: (N_("Revoked as of %(since)s (%(reference)s)."), N_("Revoked as of %(since)s (%(reference)s).")),
        Status.NOT_YET_ACCREDITED: (N_("Accredited from %(since)s (%(reference)s), up to and including %(until)s."),
                                    N_("Accredited from %(since)s (%(reference)s), with no end date.")),
        Status.EXPIRED: (N_("Expired: accredited up to and including %(until)s (%(reference)s)."),
                         N_("Expired: accredited up to and including %(until)s (%(reference)s).")),
        Status.NOT_ACCREDITED: (N_("No accreditation covers today."), N_("No accreditation covers today.")),
    },
    SubjectKind.COACH: {
        Status.ACCREDITED: (N_("Registered since %(since)s (%(reference)s), up to and including %(until)s."),
                            N_("Registered since %(since)s (%(reference)s), with no end date.")),
        Status.SUSPENDED: (N_("Suspended since %(since)s (%(reference)s), up to and including %(until)s."),
                           N_("Suspended since %(since)s (%(reference)s), until lifted.")),
        Status.REVOKED: (N_("Registration revoked as of %(since)s (%(reference)s)."),
                         N_("Registration revoked as of %(since)s (%(reference)s).")),
        Status.NOT_YET_ACCREDITED: (N_("Registered from %(since)s (%(reference)s), up to and including %(until)s."),
                                    N_("Registered from %(since)s (%(reference)s), with no end date.")),
        Status.EXPIRED: (N_("Registration expired: registered up to and including %(until)s (%(reference)s)."),
                         N_("Registration expired: registered up to and including %(until)s (%(reference)s).")),
        Status.NOT_ACCREDITED: (N_("No registration covers today."), N_("No registration covers today.")),
    },
}
STATUS_SENTENCES[SubjectKind.TRAINING] = STATUS_SENTENCES[SubjectKind.PROGRAMME]

GUIDANCE_TYPES = {GuidanceType.SHORT: N_("Short guidance"), GuidanceType.INTENSIVE: N_("Intensive guidance")}
FORMATS = {ProgrammeFormat.INDIVIDUAL: N_("Individual"), ProgrammeFormat.GROUP: N_("Group")}
MODES = {SessionMode.ON_SITE: N_("On site"), SessionMode.PHONE: N_("By phone"), SessionMode.VIDEO: N_("By video call")}

DECISION_KINDS = {
    DecisionKind.GRANT: N_("Accreditation granted"),
    DecisionKind.SUSPEND: N_("Suspended"),
    DecisionKind.LIFT: N_("Suspension lifted"),
    DecisionKind.REVOKE: N_("Accreditation revoked"),
    DecisionKind.RETRACT: N_("Decision withdrawn (entered in error)"),
}
# What a void (retracted) decision and a lifted suspension say on public pages.
VOID_DECISION = N_("Void – entered in error")
VOID_BY = N_("withdrawn by decision %(reference)s; it no longer counts")
LIFTED = (N_("from %(start)s up to and including %(end)s, lifted as of %(lifted)s (%(reference)s)"),
          N_("from %(start)s, lifted as of %(lifted)s (%(reference)s)"))
COACH_DECISION_KINDS = {
    **DECISION_KINDS,
    DecisionKind.GRANT: N_("Registration granted"),
    DecisionKind.REVOKE: N_("Registration revoked"),
}
# A decision as a noun, for naming one on staff pages ("Suspension from 1 November 2026 – SKZ-2026-0003").
DECISION_NOUNS = {
    DecisionKind.GRANT: N_("Grant"),
    DecisionKind.SUSPEND: N_("Suspension"),
    DecisionKind.LIFT: N_("Lifting"),
    DecisionKind.REVOKE: N_("Revocation"),
    DecisionKind.RETRACT: N_("Withdrawal"),
}
# How staff pages name one decision: its noun, its first day when it has one, its reference.
DECISION_NAMED = (N_("%(kind)s from %(date)s – %(reference)s"), N_("%(kind)s – %(reference)s"))


@dataclass(frozen=True, slots=True)
class DecisionWording:
    """How pages say a decision's dates, and the texts of its staff form, per kind (fields as in rules.DECISION_FIELDS)."""

    with_end: str  # the dates in words; %(start)s, %(end)s and %(target)s are the decision's own
    without_end: str
    explanation: str  # under the staff form's title
    start_label: str = ""
    start_hint: str = ""
    end_label: str = ""
    target_label: str = ""
    confirmation: str = ""  # set for a kind staff confirm on a check page first; %(name)s, %(date)s, %(reference)s
    action: str = ""  # the form's button: what happens when it is pressed
    proposal_action: str = ""  # the button when a second staff member must approve (four eyes)
    recorded: str = ""  # the success banner; %(reference)s


DECISION_WORDING = {
    DecisionKind.GRANT: DecisionWording(
        N_("from %(start)s up to and including %(end)s"), N_("from %(start)s, with no end date"),
        N_("Accredited on every day of the period; leave the end empty for no end date."),
        N_("Valid from"), N_("Day-month-year, for example 01-09-2026."), N_("Valid up to and including"),
        action=N_("Record the grant"), proposal_action=N_("Propose the grant"), recorded=N_("Grant %(reference)s recorded.")),
    DecisionKind.SUSPEND: DecisionWording(
        N_("from %(start)s up to and including %(end)s"), N_("from %(start)s until lifted"),
        N_("Not accredited on the days of the suspension; leave the end empty to suspend until lifted."),
        N_("Suspended from"), N_("Day-month-year, for example 01-04-2026."), N_("Suspended up to and including"),
        action=N_("Record the suspension"), proposal_action=N_("Propose the suspension"), recorded=N_("Suspension %(reference)s recorded.")),
    DecisionKind.LIFT: DecisionWording(
        N_("suspension %(reference)s ends from %(date)s"), N_("suspension %(reference)s ends from %(date)s"),
        N_("The suspension ends the day before this date."),
        N_("Lifted from"), N_("Day-month-year."), target_label=N_("Suspension"),
        action=N_("Record the lifting"), proposal_action=N_("Propose the lifting"), recorded=N_("Lifting %(reference)s recorded.")),
    DecisionKind.REVOKE: DecisionWording(
        N_("from %(date)s"), N_("from %(date)s"),
        N_("Every earlier grant stops covering days from this date on. You are asked to confirm."),
        N_("Revoked from"), N_("Day-month-year."),
        confirmation=N_("You are about to revoke %(name)s from %(date)s. Every grant recorded before this revocation stops covering "
                        "days from that date on. Only a new grant accredits again."),
        action=N_("Record the revocation"), proposal_action=N_("Propose the revocation"), recorded=N_("Revocation %(reference)s recorded.")),
    DecisionKind.RETRACT: DecisionWording(
        N_("decision %(reference)s no longer counts"), N_("decision %(reference)s no longer counts"),
        N_("For a decision entered in error: from now on it no longer counts (answers about the past stay as they were). "
           "You are asked to confirm."),
        target_label=N_("Decision entered in error"),
        confirmation=N_("You are about to mark decision %(reference)s as entered in error. From now on it no longer counts; answers "
                        "given before now stay as they were. A withdrawal cannot itself be withdrawn."),
        action=N_("Record the withdrawal"), proposal_action=N_("Propose the withdrawal"), recorded=N_("Withdrawal %(reference)s recorded.")),
}


# Each reason of a refused check in plain words; %(date)s is the first day it applied.
REASONS = {
    ReasonCode.PROVIDER_UNKNOWN: N_("No organisation in the register holds this AGB code."),
    ReasonCode.PROVIDER_NO_PROGRAMME: N_("The provider with this AGB code has no programme in the register (of the guidance type asked about)."),
    ReasonCode.PROVIDER_NO_ACCREDITED_PROGRAMME: N_(
        "None of the provider's programmes was accredited on every day of the care (the first fell short on %(date)s)."
    ),
    ReasonCode.PROGRAMME_UNKNOWN: N_("The programme is not in the register."),
    ReasonCode.PROGRAMME_REVOKED: N_("The programme's accreditation was revoked on %(date)s."),
    ReasonCode.PROGRAMME_SUSPENDED: N_("The programme was suspended on %(date)s."),
    ReasonCode.PROGRAMME_NOT_YET_ACCREDITED: N_("The programme's accreditation had not yet begun on %(date)s."),
    ReasonCode.PROGRAMME_EXPIRED: N_("The programme's accreditation had expired on %(date)s."),
    ReasonCode.PROGRAMME_NOT_ACCREDITED: N_("The programme was not accredited on %(date)s."),
    ReasonCode.PROGRAMME_BELOW_CARE_STANDARD: N_("On %(date)s the programme's design was below the minimum of the care standard."),
    ReasonCode.COACH_UNKNOWN: N_("The coach is not in the register."),
    ReasonCode.COACH_REVOKED: N_("The coach's registration was revoked on %(date)s."),
    ReasonCode.COACH_SUSPENDED: N_("The coach was suspended on %(date)s."),
    ReasonCode.COACH_NOT_YET_REGISTERED: N_("The coach's registration had not yet begun on %(date)s."),
    ReasonCode.COACH_EXPIRED: N_("The coach's registration had expired on %(date)s."),
    ReasonCode.COACH_NOT_REGISTERED: N_("The coach was not registered on %(date)s."),
    ReasonCode.COACH_NOT_QUALIFIED: N_(
        "On %(date)s the coach had not completed an accredited training for this kind of programme (guidance type and format)."
    ),
}

ROLE_NAMES = {Role.VIEWER: N_("viewer"), Role.EDITOR: N_("editor"), Role.ADMIN: N_("administrator")}
