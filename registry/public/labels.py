"""Words for the registry's vocabularies (the enums of registry.rules and staff roles), marked for translation.

English ids, Dutch catalog; every mapping is keyed by its enum and names each member (a unit test checks).
"""

from __future__ import annotations

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
COACH_DECISION_KINDS = {
    **DECISION_KINDS,
    DecisionKind.GRANT: N_("Registration granted"),
    DecisionKind.REVOKE: N_("Registration revoked"),
}

# Each reason of a refused check in plain words; %(date)s is the first day it applied.
REASONS = {
    ReasonCode.PROGRAMME_UNKNOWN: N_("The programme is not in the register."),
    ReasonCode.PROGRAMME_REVOKED: N_("The programme's accreditation was revoked on %(date)s."),
    ReasonCode.PROGRAMME_SUSPENDED: N_("The programme was suspended on %(date)s."),
    ReasonCode.PROGRAMME_NOT_YET_ACCREDITED: N_("The programme's accreditation had not yet begun on %(date)s."),
    ReasonCode.PROGRAMME_EXPIRED: N_("The programme's accreditation had expired on %(date)s."),
    ReasonCode.PROGRAMME_NOT_ACCREDITED: N_("The programme was not accredited on %(date)s."),
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
