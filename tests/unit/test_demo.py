"""The demo document: deterministic, large when asked, valid by the rules, and every status represented."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict

import pytest

from registry import rules
from registry.demo import DEFAULT_TODAY, RECORDED_AT, SHOWCASE, build_demo_document
from registry.services.imports.parse import parse_document

CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
EIGHT_DIGITS = re.compile(r"^[0-9]{8}$")
DATE_FIELDS = {  # kind -> (field for starts_on, field for ends_on, field naming the target)
    "grant": ("valid_from", "valid_until", None),
    "suspend": ("from", "until", None),
    "lift": ("date", None, "suspension"),
    "revoke": ("effective", None, None),
    "retract": (None, None, "target"),
}
SHOWCASE_STATUS = {
    "P-000001": "accredited", "P-000002": "suspended", "P-000003": "suspended", "P-000004": "accredited",
    "P-000005": "revoked", "P-000006": "accredited", "P-000007": "accredited", "P-000008": "expired",
    "P-000009": "not_yet_accredited", "P-000010": "not_accredited", "P-000011": "not_accredited",
    "P-000012": "accredited", "P-000013": "accredited",
    "C-000001": "accredited", "C-000002": "accredited", "C-000003": "suspended", "C-000004": "suspended",
    "C-000005": "accredited", "C-000006": "revoked", "C-000007": "accredited", "C-000008": "not_accredited",
    "C-000009": "expired", "C-000010": "not_yet_accredited", "C-000011": "not_accredited",
    "C-000012": "not_accredited", "C-000013": "accredited", "C-000014": "accredited", "C-000015": "accredited",
    "C-000016": "accredited",
    "T-000001": "accredited", "T-000002": "accredited", "T-000003": "accredited", "T-000004": "expired",
    "T-000005": "suspended", "T-000006": "revoked",
}


@pytest.fixture(scope="module")
def document() -> dict:
    return build_demo_document()


@pytest.fixture(scope="module")
def large() -> dict:
    return build_demo_document(coaches=100_000)


@pytest.fixture(params=["document", "large"])
def any_document(request: pytest.FixtureRequest) -> dict:
    return request.getfixturevalue(request.param)


def _day(decision: dict, name: str | None) -> dt.date | None:
    return dt.date.fromisoformat(decision[name]) if name and name in decision else None


def rule_decisions(document: dict) -> dict[tuple[str, str], list[rules.Decision]]:
    """The document's decisions as rules.Decision objects, per (subject, code), ids in file order."""
    by_subject: dict[tuple[str, str], list[rules.Decision]] = defaultdict(list)
    ids: dict[tuple[str, str, str], int] = {}
    for number, decision in enumerate(document["decisions"], 1):
        key = (decision["subject"], decision["code"])
        start_field, end_field, target_field = DATE_FIELDS[decision["kind"]]
        by_subject[key].append(rules.Decision(
            id=number, kind=rules.DecisionKind(decision["kind"]), recorded_at=RECORDED_AT,
            starts_on=_day(decision, start_field), ends_on=_day(decision, end_field),
            target=ids[(*key, decision[target_field])] if target_field else None, reference=decision["reference"],
        ))
        ids[(*key, decision["reference"])] = number
    return by_subject


def statuses(document: dict, subject: str, section: str, code_field: str, on: dt.date) -> dict[str, rules.Status]:
    decisions = rule_decisions(document)
    return {item[code_field]: rules.Timeline(decisions.get((subject, item[code_field]), [])).status_on(on)
            for item in document[section]}


def training_facts(document: dict) -> dict[str, rules.TrainingFacts]:
    decisions = rule_decisions(document)
    return {training["code"]: rules.TrainingFacts(frozenset(training["guidance_types"]), frozenset(training["formats"]),
                                                  tuple(decisions.get(("training", training["code"]), [])))
            for training in document["trainings"]}


def qualifications_of(document: dict) -> dict[str, list[rules.QualificationFacts]]:
    trainings, result = training_facts(document), defaultdict(list)
    for qualification in document["qualifications"]:
        result[qualification["coach"]].append(rules.QualificationFacts(
            dt.date.fromisoformat(qualification["completed_on"]), RECORDED_AT, trainings[qualification["training"]]))
    return result


def qualified_for(qualifications: list[rules.QualificationFacts], guidance_type: str, programme_format: str) -> bool:
    return rules.is_qualified(qualifications, guidance_type, programme_format, DEFAULT_TODAY)


def test_the_same_arguments_give_the_same_document() -> None:
    assert build_demo_document(coaches=300, seed=7) == build_demo_document(coaches=300, seed=7)
    assert build_demo_document(coaches=50) == build_demo_document(coaches=50, seed=2026, today=DEFAULT_TODAY)


def test_a_different_seed_gives_a_different_document() -> None:
    assert build_demo_document(coaches=300, seed=1) != build_demo_document(coaches=300, seed=2)


def test_the_default_document_has_the_promised_sections_and_sizes(document: dict) -> None:
    assert list(document) == ["organisations", "trainings", "programmes", "coaches", "qualifications", "decisions"]
    assert len(document["coaches"]) == 400
    assert len(document["programmes"]) >= 12 and len(document["trainings"]) >= 6 and len(document["organisations"]) >= 8
    json.dumps(document)


def test_the_large_document_has_100000_coaches_with_unique_numbers_and_agb_codes(large: dict) -> None:
    coaches = large["coaches"]
    assert len(coaches) == 100_000
    assert len({coach["registration_number"] for coach in coaches}) == 100_000
    assert coaches[-1]["registration_number"] == "C-100000"
    agb_codes = [coach["agb_code"] for coach in coaches if "agb_code" in coach]
    assert 0 < len(agb_codes) < 100_000
    assert len(set(agb_codes)) == len(agb_codes)
    assert len(large["programmes"]) == 4000 and len(large["trainings"]) == 500


def test_codes_and_identifiers_have_their_formats(any_document: dict) -> None:
    codes = [item["code"] for section in ("organisations", "trainings", "programmes") for item in any_document[section]]
    codes += [coach["registration_number"] for coach in any_document["coaches"]]
    codes += [item["organisation"] for section in ("trainings", "programmes") for item in any_document[section]]
    codes += [code for q in any_document["qualifications"] for code in (q["coach"], q["training"])]
    codes += [decision["code"] for decision in any_document["decisions"]]
    assert all(CODE.match(code) for code in codes)
    numbers = [item[key] for section in ("organisations", "coaches") for item in any_document[section]
               for key in ("kvk_number", "agb_code") if key in item]
    assert all(EIGHT_DIGITS.match(number) for number in numbers)
    emails = [coach["email"] for coach in any_document["coaches"] if "email" in coach]
    assert emails and all(email.endswith(("@example.nl", "@example.org")) for email in emails)


def test_every_reference_points_to_something_in_the_document(any_document: dict) -> None:
    codes = {section: {item.get("code", item.get("registration_number")) for item in any_document[section]}
             for section in ("organisations", "trainings", "programmes", "coaches")}
    institutes = {training["organisation"] for training in any_document["trainings"]}
    providers = {programme["organisation"] for programme in any_document["programmes"]}
    assert institutes <= codes["organisations"] and providers <= codes["organisations"] and not institutes & providers
    qualifications = any_document["qualifications"]
    assert all(q["coach"] in codes["coaches"] and q["training"] in codes["trainings"] for q in qualifications)
    sections = {"training": "trainings", "programme": "programmes", "coach": "coaches"}
    assert all(decision["code"] in codes[sections[decision["subject"]]] for decision in any_document["decisions"])


def test_a_coach_completes_a_training_once(any_document: dict) -> None:
    pairs = Counter((q["coach"], q["training"]) for q in any_document["qualifications"])
    assert max(pairs.values()) == 1


def test_lifts_and_retractions_point_to_an_earlier_decision_of_the_same_subject(any_document: dict) -> None:
    earlier: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for decision in any_document["decisions"]:
        known = earlier[decision["subject"], decision["code"]]
        if decision["kind"] == "lift":
            assert known.get(decision["suspension"]) == "suspend", decision
        if decision["kind"] == "retract":
            assert known.get(decision["target"]) not in (None, "retract"), decision
        known[decision["reference"]] = decision["kind"]


def test_references_are_unique_per_subject(any_document: dict) -> None:
    counts = Counter((d["subject"], d["code"], d["reference"]) for d in any_document["decisions"])
    assert max(counts.values()) == 1


def test_periods_do_not_end_before_they_start(any_document: dict) -> None:
    for decision in any_document["decisions"]:
        start_field, end_field, _target = DATE_FIELDS[decision["kind"]]
        if end_field in decision:
            assert decision[end_field] >= decision[start_field], decision


def test_the_importer_reads_the_document_without_a_problem(document: dict) -> None:
    parsed = parse_document(json.dumps(document))
    assert parsed.errors == []


def test_programme_grants_meet_the_care_standard_or_carry_an_override(any_document: dict) -> None:
    # `registry demo` records the document at RECORDED_AT, whenever it runs: on the demo's today, before strict enforcement.
    assert rules.amsterdam_date(RECORDED_AT) == DEFAULT_TODAY < rules.DEFAULT_CARE_STANDARD_DATES.strict_from
    programmes = {programme["code"]: programme for programme in any_document["programmes"]}
    overridden = 0
    for decision in any_document["decisions"]:
        if decision["subject"] != "programme" or decision["kind"] != "grant":
            continue
        programme = programmes[decision["code"]]
        check = rules.check_programme_grant(
            programme["guidance_type"], programme["format"], programme["sessions"], programme["contact_minutes"],
            dt.date.fromisoformat(decision["valid_from"]), rules.amsterdam_date(RECORDED_AT), decision.get("override_reason"), True)
        assert not check.refused, decision
        overridden += check.outcome is rules.GrantCheckOutcome.OVERRIDDEN
    assert 1 <= overridden <= 2
    below = [p for p in programmes.values()
             if rules.care_standard_shortfall(p["guidance_type"], p["format"], p["sessions"], p["contact_minutes"])]
    assert 0 < len(below) < len(programmes) / 4


@pytest.mark.parametrize("today", [DEFAULT_TODAY, dt.date(2027, 3, 1)])
def test_every_status_occurs_among_programmes_and_among_coaches(today: dt.date) -> None:
    document = build_demo_document(today=today)
    for subject, section, code_field in [("programme", "programmes", "code"),
                                         ("coach", "coaches", "registration_number")]:
        assert set(statuses(document, subject, section, code_field, today).values()) == set(rules.Status), subject


def test_the_bulk_also_holds_every_status(large: dict) -> None:
    bulk = statuses(large, "coach", "coaches", "registration_number", DEFAULT_TODAY)
    counts = Counter(status for code, status in bulk.items() if code not in SHOWCASE)
    assert set(counts) == set(rules.Status)
    assert counts[rules.Status.ACCREDITED] > 0.7 * sum(counts.values())


def test_showcase_subjects_tell_their_stories(document: dict) -> None:
    found = {
        **statuses(document, "training", "trainings", "code", DEFAULT_TODAY),
        **statuses(document, "programme", "programmes", "code", DEFAULT_TODAY),
        **statuses(document, "coach", "coaches", "registration_number", DEFAULT_TODAY),
    }
    assert set(SHOWCASE) == set(SHOWCASE_STATUS)
    assert {code: found[code] for code in SHOWCASE_STATUS} == SHOWCASE_STATUS
    decisions = rule_decisions(document)
    revoked_then_regranted = rules.Timeline(decisions["programme", "P-000006"])
    assert revoked_then_regranted.status_on(dt.date(2025, 6, 1)) is rules.Status.REVOKED
    lifted = rules.Timeline(decisions["coach", "C-000005"])
    assert lifted.status_on(dt.date(2026, 6, 14)) is rules.Status.SUSPENDED
    assert lifted.status_on(dt.date(2026, 6, 15)) is rules.Status.ACCREDITED


def test_showcase_qualifications(document: dict) -> None:
    qualifications = qualifications_of(document)
    every_kind = [(guidance, form) for guidance in ("short", "intensive") for form in ("individual", "group")]
    assert all(qualified_for(qualifications["C-000001"], *kind) for kind in every_kind)
    assert "C-000013" not in qualifications
    for coach in ("C-000014", "C-000015"):  # their only training was not accredited on the completion date
        assert qualifications[coach] and not any(qualified_for(qualifications[coach], *kind) for kind in every_kind)
    assert qualified_for(qualifications["C-000009"], "intensive", "individual")
    assert qualified_for(qualifications["C-000016"], "short", "group")
    assert not qualified_for(qualifications["C-000016"], "intensive", "individual")


def test_some_bulk_coaches_are_unqualified(large: dict) -> None:
    decisions = rule_decisions(large)
    trainings = {t["code"]: rules.Timeline(decisions.get(("training", t["code"]), [])) for t in large["trainings"]}
    counting: dict[str, bool] = defaultdict(bool)
    for qualification in large["qualifications"]:
        completed_on = dt.date.fromisoformat(qualification["completed_on"])
        accredited = trainings[qualification["training"]].status_on(completed_on) is rules.Status.ACCREDITED
        counting[qualification["coach"]] |= accredited
    coaches = [coach["registration_number"] for coach in large["coaches"]]
    coaches = [code for code in coaches if code not in SHOWCASE]
    without = [code for code in coaches if code not in counting]
    not_counting = [code for code in coaches if code in counting and not counting[code]]
    assert 0.01 * len(coaches) < len(without) < 0.05 * len(coaches)
    assert 0.003 * len(coaches) < len(not_counting) < 0.03 * len(coaches)


def test_every_provider_with_programmes_holds_one_or_two_agb_codes_unique_across_the_register(any_document: dict) -> None:
    providers = {programme["organisation"] for programme in any_document["programmes"]}
    held = {item["code"]: item.get("agb_codes", []) for item in any_document["organisations"]}
    assert providers and all(1 <= len(held[code]) <= 2 for code in providers)
    assert any(len(held[code]) == 2 for code in providers)
    every = [code for codes in held.values() for code in codes] + [c["agb_code"] for c in any_document["coaches"] if "agb_code" in c]
    assert len(set(every)) == len(every) and all(EIGHT_DIGITS.match(code) for code in every)
