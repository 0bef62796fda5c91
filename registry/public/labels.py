"""Words for the registry's codes on public pages, marked for translation (English ids, Dutch catalog)."""

from __future__ import annotations

from registry.messages import N_

STATUS_WORDS = {
    "programme": {
        "accredited": N_("accredited"),
        "suspended": N_("suspended"),
        "revoked": N_("revoked"),
        "not_yet_accredited": N_("not yet accredited"),
        "expired": N_("expired"),
        "not_accredited": N_("not accredited"),
    },
    "coach": {
        "accredited": N_("registered"),
        "suspended": N_("suspended"),
        "revoked": N_("registration revoked"),
        "not_yet_accredited": N_("not yet registered"),
        "expired": N_("registration expired"),
        "not_accredited": N_("not registered"),
    },
}
STATUS_WORDS["training"] = STATUS_WORDS["programme"]
# A symbol beside the word so that no status is told by colour alone; screen readers read the word.
STATUS_SYMBOLS = {
    "accredited": "✓",
    "suspended": "‖",
    "revoked": "✕",
    "not_yet_accredited": "…",
    "expired": "○",
    "not_accredited": "–",
}
STATUS_ORDER = ["accredited", "suspended", "revoked", "not_yet_accredited", "expired", "not_accredited"]

GUIDANCE_TYPES = {"short": N_("Short guidance"), "intensive": N_("Intensive guidance")}
FORMATS = {"individual": N_("Individual"), "group": N_("Group")}
MODES = {"on_site": N_("On site"), "phone": N_("By phone"), "video": N_("By video call")}

DECISION_KINDS = {
    "grant": N_("Accreditation granted"),
    "suspend": N_("Suspended"),
    "lift": N_("Suspension lifted"),
    "revoke": N_("Accreditation revoked"),
    "retract": N_("Decision withdrawn (entered in error)"),
}
COACH_DECISION_KINDS = {
    **DECISION_KINDS,
    "grant": N_("Registration granted"),
    "revoke": N_("Registration revoked"),
}

# Each reason of a refused check in plain words; %(date)s is the first day it applied.
REASONS = {
    "PROGRAMME_UNKNOWN": N_("The programme is not in the register."),
    "PROGRAMME_REVOKED": N_("The programme's accreditation was revoked on %(date)s."),
    "PROGRAMME_SUSPENDED": N_("The programme was suspended on %(date)s."),
    "PROGRAMME_NOT_YET_ACCREDITED": N_("The programme's accreditation had not yet begun on %(date)s."),
    "PROGRAMME_EXPIRED": N_("The programme's accreditation had expired on %(date)s."),
    "PROGRAMME_NOT_ACCREDITED": N_("The programme was not accredited on %(date)s."),
    "COACH_UNKNOWN": N_("The coach is not in the register."),
    "COACH_REVOKED": N_("The coach's registration was revoked on %(date)s."),
    "COACH_SUSPENDED": N_("The coach was suspended on %(date)s."),
    "COACH_NOT_YET_REGISTERED": N_("The coach's registration had not yet begun on %(date)s."),
    "COACH_EXPIRED": N_("The coach's registration had expired on %(date)s."),
    "COACH_NOT_REGISTERED": N_("The coach was not registered on %(date)s."),
    "COACH_NOT_QUALIFIED": N_(
        "On %(date)s the coach had not completed an accredited training for this kind of programme (guidance type and format)."
    ),
}

ROLE_NAMES = {"viewer": N_("viewer"), "editor": N_("editor"), "admin": N_("administrator")}
