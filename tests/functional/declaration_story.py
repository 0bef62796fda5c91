"""The worked example of docs/rules.md "Een declaratieregel controleren", as an import document.

Organisation O-DECL holds AGB 12345678 (and a location, 12345679) and has programmes P-A (short,
accredited) and P-B (intensive, suspended on DAY); coach C-DECL is accredited and qualified for
intensive guidance only. O-EMPTY holds AGB 22222222 and has no programme.
"""

from __future__ import annotations

from typing import Any

DAY = "2026-03-02"
PROVIDER = "12345678"
LOCATION = "12345679"
EMPTY_PROVIDER = "22222222"
UNKNOWN_PROVIDER = "99999999"
COACH = "C-DECL"
COACH_AGB = "44444444"

# (claim fields beyond provider, coach and date, accredited, reason codes, matched programme)
EXAMPLES: list[tuple[str, dict[str, Any], bool, list[str], str | None]] = [
    ("qualified for neither free candidate", {}, False, ["COACH_NOT_QUALIFIED"], None),
    ("only intensive: suspended", {"guidance_type": "intensive"}, False, ["PROVIDER_NO_ACCREDITED_PROGRAMME"], None),
    ("unknown provider", {"provider_agb_code": UNKNOWN_PROVIDER}, False, ["PROVIDER_UNKNOWN"], None),
    ("provider without programmes", {"provider_agb_code": EMPTY_PROVIDER}, False, ["PROVIDER_NO_PROGRAMME"], None),
]
# After C-DECL also completes a short-guidance training (SHORT_QUALIFICATION).
ACCEPTED = ("once qualified for short guidance", {}, True, [], "P-A")


def story() -> dict[str, Any]:
    """The organisations, programmes, trainings, coach and decisions of the example."""
    grant = {"kind": "grant", "valid_from": "2025-01-01"}
    return {
        "organisations": [
            {"code": "O-DECL", "name": "Huisartsenpraktijk De Linde", "agb_codes": [PROVIDER, LOCATION], "city": "Utrecht"},
            {"code": "O-EMPTY", "name": "Praktijk Zonder Programma", "agb_code": EMPTY_PROVIDER, "city": "Zeist"},
            {"code": "O-SCHOOL", "name": "Opleidingsinstituut", "city": "Zeist"},
        ],
        "trainings": [
            {"code": "T-INT", "name": "Intensieve begeleiding", "organisation": "O-SCHOOL", "guidance_types": ["intensive"], "formats": ["individual", "group"]},
            {"code": "T-SHORT", "name": "Kortdurende begeleiding", "organisation": "O-SCHOOL", "guidance_types": ["short"], "formats": ["individual", "group"]},
        ],
        "programmes": [
            {"code": "P-A", "name": "Kort Rookvrij", "organisation": "O-DECL", "guidance_type": "short", "format": "individual",
             "sessions": 4, "contact_minutes": 60},
            {"code": "P-B", "name": "Intensief Rookvrij", "organisation": "O-DECL", "guidance_type": "intensive", "format": "group",
             "sessions": 8, "contact_minutes": 300},
        ],
        "coaches": [{"registration_number": COACH, "initials": "D.", "surname": "Declarant", "agb_code": COACH_AGB}],
        "qualifications": [{"coach": COACH, "training": "T-INT", "completed_on": "2023-01-01"}],
        "decisions": [
            {"subject": "training", "code": "T-INT", "reference": "T-INT-1", **grant, "valid_from": "2020-01-01"},
            {"subject": "training", "code": "T-SHORT", "reference": "T-SHORT-1", **grant, "valid_from": "2020-01-01"},
            {"subject": "programme", "code": "P-A", "reference": "P-A-1", **grant},
            {"subject": "programme", "code": "P-B", "reference": "P-B-1", **grant},
            {"subject": "programme", "code": "P-B", "reference": "P-B-2", "kind": "suspend", "from": "2026-02-01", "until": "2026-04-30"},
            {"subject": "coach", "code": COACH, "reference": "C-DECL-1", **grant},
        ],
    }


SHORT_QUALIFICATION = {"qualifications": [{"coach": COACH, "training": "T-SHORT", "completed_on": "2026-01-15"}]}


def claim(extra: dict[str, Any]) -> dict[str, Any]:
    """A declaration line's claim: provider, coach by AGB code, date."""
    return {"provider_agb_code": PROVIDER, "coach_agb_code": COACH_AGB, "service_date": DAY, **extra}
