"""POST /api/v1/verifications and /batch through HTTP: every reason code, periods, as_known_at, AGB, receipts."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import replace
from typing import Any

import pytest
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from registry.services.imports.plan import import_document
from registry.services.sql import reading
from registry.services.staff.clients import disable_client
from registry.services.verification.answer import parse_claim, verify
from tests.functional.api_client import ApiSession
from tests.functional.conftest import open_session
from tests.functional.helpers import OPERATOR, encode, fresh_rate_window

DAY = "2026-03-01"
OPEN = {"kind": "grant", "valid_from": "2025-01-01"}
# Subjects in every status on DAY: (code suffix, decisions after the opening grant, or None for no grant at all).
STORIES: dict[str, list[dict[str, Any]] | None] = {
    "A": [OPEN],
    "REV": [OPEN, {"kind": "revoke", "effective": "2026-01-01"}],
    "SUS": [OPEN, {"kind": "suspend", "from": "2026-02-01", "until": "2026-04-30"}],
    "NYA": [{"kind": "grant", "valid_from": "2026-06-01"}],
    "EXP": [{"kind": "grant", "valid_from": "2024-01-01", "valid_until": "2025-12-31"}],
    "NA": None,
}
PROGRAMME_CODE = {"A": None, "REV": "PROGRAMME_REVOKED", "SUS": "PROGRAMME_SUSPENDED", "NYA": "PROGRAMME_NOT_YET_ACCREDITED",
                  "EXP": "PROGRAMME_EXPIRED", "NA": "PROGRAMME_NOT_ACCREDITED"}
COACH_CODE = {"A": None, "REV": "COACH_REVOKED", "SUS": "COACH_SUSPENDED", "NYA": "COACH_NOT_YET_REGISTERED",
              "EXP": "COACH_EXPIRED", "NA": "COACH_NOT_REGISTERED"}


def registry_document() -> dict[str, Any]:
    decisions: list[dict[str, Any]] = [
        {"subject": "training", "code": "T-IG", "kind": "grant", "valid_from": "2020-01-01", "reference": "T-IG-1"},
        {"subject": "training", "code": "T-SHORT", "kind": "grant", "valid_from": "2020-01-01", "reference": "T-S-1"},
    ]
    for subject, prefix in (("programme", "P-"), ("coach", "C-")):
        for name, story in STORIES.items():
            for number, decision in enumerate(story or [], 1):
                decisions.append({"subject": subject, "code": prefix + name, "reference": f"{prefix}{name}-{number}", **decision})
    decisions.append({"subject": "coach", "code": "C-UQ", "kind": "grant", "valid_from": "2025-01-01", "reference": "C-UQ-1"})
    coaches = [{"registration_number": f"C-{name}", "initials": "A.", "surname": f"Coach {name}"} for name in STORIES]
    coaches.append({"registration_number": "C-UQ", "initials": "B.", "prefix": "van der", "surname": "Berg", "agb_code": "00123456"})
    return {
        "organisations": [{"code": "O-1", "name": "Rookvrij Zeist", "agb_code": "01010101", "city": "Zeist"}],
        "trainings": [
            {"code": "T-IG", "name": "Intensief groep", "organisation": "O-1", "guidance_types": ["intensive"], "formats": ["group"]},
            {"code": "T-SHORT", "name": "Kort", "organisation": "O-1", "guidance_types": ["short"], "formats": ["individual", "group"]},
        ],
        "programmes": [
            {"code": f"P-{name}", "name": f"Programma {name}", "organisation": "O-1", "guidance_type": "intensive",
             "format": "group", "sessions": 8, "contact_minutes": 300}
            for name in STORIES
        ],
        "coaches": coaches,
        "qualifications": [{"coach": f"C-{name}", "training": "T-IG", "completed_on": "2023-01-01"} for name in STORIES]
        + [{"coach": "C-UQ", "training": "T-SHORT", "completed_on": "2023-01-01"}],
        "decisions": decisions,
    }


@pytest.fixture
async def loaded(session: ApiSession) -> dict[str, str]:
    """The registry with a subject in every status, and authorization headers of a client."""
    await import_document(session.engine, encode(registry_document()), OPERATOR)
    await session.recorded()
    return await session.bearer()


async def ask(session: ApiSession, headers: dict[str, str], **claim: Any) -> dict[str, Any]:
    response = await session.http.post("/api/v1/verifications", json=claim, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def codes(answer: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in answer["reasons"]]


@pytest.mark.parametrize("programme", list(STORIES))
@pytest.mark.parametrize("coach", list(STORIES))
async def test_every_status_gives_its_reason_code(session: ApiSession, loaded: dict[str, str], programme: str, coach: str) -> None:
    answer = await ask(session, loaded, programme_code=f"P-{programme}", coach_registration_number=f"C-{coach}", service_date=DAY)
    expected = [code for code in (PROGRAMME_CODE[programme], COACH_CODE[coach]) if code]
    assert codes(answer) == expected
    assert answer["accredited"] is (not expected)
    assert all(reason["on"] == DAY for reason in answer["reasons"])
    assert answer["programme"]["status"] == {"A": "accredited", "REV": "revoked", "SUS": "suspended", "NYA": "not_yet_accredited",
                                             "EXP": "expired", "NA": "not_accredited"}[programme]
    assert answer["coach"]["qualified"] is True


async def test_api_and_command_line_give_the_same_answer(session: ApiSession, loaded: dict[str, str]) -> None:
    for programme in STORIES:
        for coach in [*STORIES, "UQ"]:
            raw = {"programme_code": f"P-{programme}", "coach_registration_number": f"C-{coach}",
                   "service_date": "2026-01-15", "service_end_date": "2026-07-01"}
            by_api = await ask(session, loaded, **raw)
            by_cli = await verify(session.engine, parse_claim(raw), store=False)
            for volatile in ("verification_id", "checked_at", "receipt"):
                by_api.pop(volatile), by_cli.pop(volatile, None)
            assert by_api == by_cli


async def test_unqualified_and_unknown_subjects(session: ApiSession, loaded: dict[str, str]) -> None:
    unqualified = await ask(session, loaded, programme_code="P-A", coach_agb_code="00123456", service_date=DAY)
    assert codes(unqualified) == ["COACH_NOT_QUALIFIED"]
    assert unqualified["coach"]["registration_number"] == "C-UQ" and unqualified["coach"]["name"] == "B. van der Berg"
    assert unqualified["coach"]["qualified"] is False
    unknown = await ask(session, loaded, programme_code="P-NOPE", coach_registration_number="C-NOPE", service_date=DAY)
    assert codes(unknown) == ["PROGRAMME_UNKNOWN", "COACH_UNKNOWN"]
    assert unknown["programme"] is None and unknown["coach"] is None
    # COACH_NOT_QUALIFIED is judged only when both exist.
    assert codes(await ask(session, loaded, programme_code="P-NOPE", coach_registration_number="C-UQ", service_date=DAY)) == ["PROGRAMME_UNKNOWN"]
    assert codes(await ask(session, loaded, programme_code="P-A", coach_agb_code="99999999", service_date=DAY)) == ["COACH_UNKNOWN"]


async def test_codes_are_case_insensitive_and_returned_upper_case(session: ApiSession, loaded: dict[str, str]) -> None:
    answer = await ask(session, loaded, programme_code="p-a", coach_registration_number="c-a", service_date=DAY, reference="claim-1")
    assert answer["accredited"] is True
    assert answer["programme"]["code"] == "P-A" and answer["coach"]["registration_number"] == "C-A"
    assert answer["reference"] == "claim-1"
    assert answer["programme"]["provider"] == {"code": "O-1", "name": "Rookvrij Zeist", "agb_code": "01010101"}
    assert answer["programme"]["accreditation"] == {"valid_from": "2025-01-01", "valid_until": None, "reference": "P-A-1"}


async def test_period_names_each_subjects_first_failing_day(session: ApiSession, loaded: dict[str, str]) -> None:
    answer = await ask(session, loaded, programme_code="P-A", coach_registration_number="C-SUS",
                       service_date="2026-01-15", service_end_date="2026-03-01")
    assert answer["reasons"] == [{"code": "COACH_SUSPENDED", "subject": "coach", "on": "2026-02-01"}]
    assert answer["coach"]["status"] == "suspended" and answer["programme"]["status"] == "accredited"
    assert answer["service_end_date"] == "2026-03-01"
    both = await ask(session, loaded, programme_code="P-REV", coach_registration_number="C-NYA",
                     service_date="2025-12-01", service_end_date="2026-06-30")
    assert both["reasons"] == [
        {"code": "PROGRAMME_REVOKED", "subject": "programme", "on": "2026-01-01"},
        {"code": "COACH_NOT_YET_REGISTERED", "subject": "coach", "on": "2025-12-01"},
    ]
    whole = await ask(session, loaded, programme_code="P-A", coach_registration_number="C-A",
                      service_date="2025-03-01", service_end_date="2026-03-01")
    assert whole["accredited"] is True


async def test_as_known_at_and_a_new_decision_is_used_at_once(session: ApiSession, loaded: dict[str, str]) -> None:
    before = await ask(session, loaded, programme_code="P-A", coach_registration_number="C-A", service_date=DAY)
    await asyncio.sleep(0.01)
    moment = dt.datetime.now(dt.timezone.utc)
    await asyncio.sleep(0.01)
    revoke = {"subject": "programme", "code": "P-A", "kind": "revoke", "effective": "2026-02-01", "reference": "P-A-R"}
    await import_document(session.engine, encode({"decisions": [revoke]}), OPERATOR)
    await session.recorded()
    now = await ask(session, loaded, programme_code="P-A", coach_registration_number="C-A", service_date=DAY)
    assert codes(now) == ["PROGRAMME_REVOKED"] and now["data_version"] == before["data_version"] + 1
    then = await ask(session, loaded, programme_code="P-A", coach_registration_number="C-A", service_date=DAY,
                     as_known_at=moment.isoformat())
    assert then["accredited"] is True and then["as_known_at"] is not None


async def test_receipt_verifies_with_the_jwks_and_holds_the_answer(session: ApiSession, loaded: dict[str, str]) -> None:
    answer = await ask(session, loaded, programme_code="P-SUS", coach_registration_number="C-A", service_date=DAY, reference="r-9")
    jwks = KeySet.import_key_set((await session.http.get("/.well-known/jwks.json")).json())
    token = jws.deserialize_compact(answer["receipt"], jwks, algorithms=["ES256"])
    assert token.protected["kid"] == session.api.keys.active.kid
    payload = json.loads(token.payload)
    assert payload["verification_id"] == answer["verification_id"]
    assert payload["accredited"] is False and payload["reasons"] == ["PROGRAMME_SUSPENDED"]
    assert payload["data_version"] == answer["data_version"] and payload["checked_at"] == answer["checked_at"]
    assert payload["request"]["programme_code"] == "P-SUS" and payload["request"]["reference"] == "r-9"
    assert payload["client_id"].startswith("smr-")
    tampered = answer["receipt"][:-4] + ("AAAA" if not answer["receipt"].endswith("AAAA") else "BBBB")
    with pytest.raises(JoseError):
        jws.deserialize_compact(tampered, jwks, algorithms=["ES256"])


async def test_every_answer_is_stored_with_its_client(session: ApiSession, loaded: dict[str, str]) -> None:
    answer = await ask(session, loaded, programme_code="P-A", coach_registration_number="C-A", service_date=DAY)
    async with reading(session.engine) as reader:
        row = await reader.fetch_one(
            "SELECT v.*, c.name FROM verification v JOIN api_client c ON c.id = v.client WHERE v.verification_id = ?",
            answer["verification_id"],
        )
    assert row["name"] == "Zorgverzekeraar Test"
    stored = json.loads(row["result"]) if isinstance(row["result"], str) else row["result"]
    assert stored == answer
    assert json.loads(row["request"])["programme_code"] == "P-A"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"programme_code": "P-A", "coach_registration_number": "C-A", "service_date": DAY, "patient_bsn": "123456782"}, "patient_bsn"),
        ({"programme_code": "P-A", "service_date": DAY}, "coach_registration_number"),
        ({"programme_code": "P-A", "coach_registration_number": "C-A", "coach_agb_code": "00123456", "service_date": DAY}, "coach_registration_number"),
        ({"programme_code": "P-A", "coach_agb_code": "123", "service_date": DAY}, "coach_agb_code"),
        ({"programme_code": "P A", "coach_registration_number": "C-A", "service_date": DAY}, "programme_code"),
        ({"programme_code": "P-A", "coach_registration_number": "C-A", "service_date": "2026-02-30"}, "service_date"),
        ({"programme_code": "P-A", "coach_registration_number": "C-A", "service_date": DAY, "service_end_date": "2026-02-01"}, "service_end_date"),
        ({"programme_code": "P-A", "coach_registration_number": "C-A", "service_date": "2025-01-01", "service_end_date": "2026-01-02"}, "service_end_date"),
        ({"programme_code": "P-A", "coach_registration_number": "C-A", "service_date": DAY, "as_known_at": "2999-01-01T00:00:00Z"}, "as_known_at"),
        ({"programme_code": "P-A", "coach_registration_number": "C-A", "service_date": DAY, "as_known_at": "yesterday"}, "as_known_at"),
        ({"programme_code": "P-A", "coach_registration_number": "C-A", "service_date": DAY, "reference": "x" * 65}, "reference"),
    ],
)
async def test_invalid_claims_get_422_naming_the_field_and_store_nothing(
    session: ApiSession, loaded: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await session.http.post("/api/v1/verifications", json=body, headers=loaded)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert {"type", "title", "status", "detail", "errors"} <= set(problem) and problem["status"] == 422
    assert field in [error["field"] for error in problem["errors"]]
    async with reading(session.engine) as reader:
        assert (await reader.fetch_one("SELECT COUNT(*) AS n FROM verification"))["n"] == 0


async def test_oversized_body_is_413(session: ApiSession, loaded: dict[str, str]) -> None:
    body = b'{"items": [' + b",".join([b'{"programme_code": "P-A"}'] * 250_000) + b"]}"
    assert len(body) > 5 * 1024 * 1024
    response = await session.http.post("/api/v1/verifications/batch", content=body, headers={**loaded, "content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_batch_answers_every_item_in_order_with_item_errors(session: ApiSession, loaded: dict[str, str]) -> None:
    items = [
        {"programme_code": "P-A", "coach_registration_number": "C-A", "service_date": DAY},
        {"programme_code": "P-A", "coach_registration_number": "C-A", "service_date": DAY, "unknown": 1},
        {"programme_code": "P-SUS", "coach_agb_code": "00123456", "service_date": DAY},
        "not a claim",
    ]
    response = await session.http.post("/api/v1/verifications/batch", json={"items": items}, headers=loaded)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["summary"] == {"accredited": 1, "rejected": 1, "invalid": 2}
    first, second, third, fourth = body["results"]
    assert first["accredited"] is True and first["receipt"]
    assert second["index"] == 1 and second["error"]["errors"][0]["field"] == "unknown"
    assert codes(third) == ["PROGRAMME_SUSPENDED", "COACH_NOT_QUALIFIED"]
    assert fourth["index"] == 3 and fourth["error"]["status"] == 422
    assert len({first["verification_id"], third["verification_id"]}) == 2
    again = await session.http.get(f"/api/v1/verifications/{third['verification_id']}", headers=loaded)
    assert again.json() == third


@pytest.mark.parametrize("body", [{"items": []}, {"items": [{}] * 10_001}, {"claims": []}, [1, 2]])
async def test_batch_itself_invalid_is_422(session: ApiSession, loaded: dict[str, str], body: Any) -> None:
    response = await session.http.post("/api/v1/verifications/batch", json=body, headers=loaded)
    assert response.status_code == 422 and response.json()["errors"]


async def test_rate_limit_per_client_gives_429_with_retry_after(settings) -> None:
    await fresh_rate_window()
    async with open_session(replace(settings, api_rate_limit_per_minute=3)) as limited:
        headers = await limited.bearer()
        other = await limited.bearer("Verzekeraar B")
        claim = {"programme_code": "P-A", "coach_registration_number": "C-A", "service_date": DAY}
        statuses = [(await limited.http.post("/api/v1/verifications", json=claim, headers=headers)).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = await limited.http.post("/api/v1/verifications", json=claim, headers=headers)
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert (await limited.http.post("/api/v1/verifications", json=claim, headers=other)).status_code == 200
        batch = await limited.http.post("/api/v1/verifications/batch", json={"items": [claim] * 3}, headers=other)
        assert batch.status_code == 429, "a batch counts each item"


async def test_rate_limits_and_new_decisions_hold_across_instances(settings) -> None:
    await fresh_rate_window()
    limit = replace(settings, api_rate_limit_per_minute=4, change_poll_seconds=0.1)
    async with open_session(limit) as first, open_session(limit) as second:
        await import_document(first.engine, encode(registry_document()), OPERATOR)
        headers = await first.bearer()
        claim = {"programme_code": "P-A", "coach_registration_number": "C-A", "service_date": DAY}
        for _ in range(2):
            assert (await first.http.post("/api/v1/verifications", json=claim, headers=headers)).status_code == 200
        await first.api.limiter.sync()
        await second.api.limiter.sync()
        for _ in range(2):
            assert (await second.http.post("/api/v1/verifications", json=claim, headers=headers)).status_code == 200
        await second.api.limiter.sync()
        await first.api.limiter.sync()
        assert (await first.http.post("/api/v1/verifications", json=claim, headers=headers)).status_code == 429

    async with open_session(settings) as first, open_session(replace(settings, change_poll_seconds=0.25)) as second:
        headers = await first.bearer()
        claim = {"programme_code": "P-EXP", "coach_registration_number": "C-A", "service_date": DAY}
        assert (await second.http.post("/api/v1/verifications", json=claim, headers=headers)).json()["accredited"] is False
        grant = {"subject": "programme", "code": "P-EXP", "kind": "grant", "valid_from": "2026-01-01", "reference": "P-EXP-2"}
        await import_document(first.engine, encode({"decisions": [grant]}), OPERATOR)
        recorded = asyncio.get_running_loop().time()
        while True:
            answer = (await second.http.post("/api/v1/verifications", json=claim, headers=headers)).json()
            if answer["accredited"]:
                break
            assert asyncio.get_running_loop().time() - recorded < 1.0, "the other instance did not see the decision within 1 s"
            await asyncio.sleep(0.02)


async def test_other_instance_follows_a_change_at_once(settings) -> None:
    """Without waiting for a poll: PostgreSQL notifies, SQLite's data_version moves."""
    slow_poll = replace(settings, change_poll_seconds=30)
    async with open_session(slow_poll) as first, open_session(slow_poll) as second:
        await import_document(first.engine, encode(registry_document()), OPERATOR)
        await first.recorded()
        client_id, secret = await first.new_client()
        token = await first.token_for(client_id, secret)
        claim = {"programme_code": "P-A", "coach_registration_number": "C-A", "service_date": DAY}
        headers = {"Authorization": f"Bearer {token}"}
        assert (await second.http.post("/api/v1/verifications", json=claim, headers=headers)).status_code == 200
        await disable_client(first.engine, OPERATOR, client_id)
        started = asyncio.get_running_loop().time()
        while (await second.http.post("/api/v1/verifications", json=claim, headers=headers)).status_code != 401:
            assert asyncio.get_running_loop().time() - started < 2, "the other instance kept accepting a disabled client"
            await asyncio.sleep(0.01)
        assert asyncio.get_running_loop().time() - started < 0.5
