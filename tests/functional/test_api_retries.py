"""Retries and limits of the verification API: Idempotency-Key, RateLimit headers."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
from dataclasses import replace
from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from registry.services.imports.plan import import_document
from registry.services.sql import reading, writing
from registry.services.verification.idempotency import KEEP_SECONDS
from registry.services.verification.signing import KeyRing
from tests.functional.api_client import ApiSession
from tests.functional.conftest import open_session
from tests.functional.helpers import OPERATOR, encode, fresh_rate_window
from tests.functional.test_api_verifications import DAY, registry_document

CLAIM = {"programme_code": "P-A", "coach_registration_number": "C-A", "service_date": DAY, "reference": "claim-1"}
OTHER = {**CLAIM, "service_date": "2026-03-02"}
BATCH = {"items": [CLAIM, OTHER, {"programme_code": "P-SUS", "coach_registration_number": "C-A", "service_date": DAY}]}


@pytest.fixture
async def loaded(session: ApiSession) -> dict[str, str]:
    """The registry with a subject in every status, and authorization headers of a client."""
    await import_document(session.engine, encode(registry_document()), OPERATOR)
    await session.recorded()
    return await session.bearer()


async def stored_count(session: ApiSession) -> int:
    async with reading(session.engine) as reader:
        return int((await reader.fetch_row("SELECT COUNT(*) AS n FROM verification"))["n"])


@pytest.mark.parametrize("path, body, answers", [("/api/v1/verifications", CLAIM, 1), ("/api/v1/verifications/batch", BATCH, 3)])
async def test_a_retry_with_the_same_key_gets_the_first_answer_byte_for_byte(
    session: ApiSession, loaded: dict[str, str], path: str, body: Any, answers: int
) -> None:
    headers = {**loaded, "Idempotency-Key": "8e03978e-40d5-43e8-bc93-6894a57f9324"}
    first = await session.http.post(path, json=body, headers=headers)
    assert first.status_code == 200, first.text
    again = await session.http.post(path, json=body, headers=headers)
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert await stored_count(session) == answers, "a retry makes no second verification"
    # Another encoding of the same request (key order, spacing; the key quoted as a structured-field string) is the same request.
    reordered = encode(dict(reversed(list(body.items())))).replace(b": ", b":")
    quoted = {**loaded, "Idempotency-Key": '"8e03978e-40d5-43e8-bc93-6894a57f9324"', "Content-Type": "application/json"}
    assert (await session.http.post(path, content=reordered, headers=quoted)).content == first.content
    # Without a key, the same request is a new verification.
    fresh = await session.http.post(path, json=body, headers=loaded)
    assert fresh.status_code == 200 and fresh.content != first.content
    assert await stored_count(session) == 2 * answers


async def test_the_same_key_with_another_body_is_422_and_nothing_is_stored(session: ApiSession, loaded: dict[str, str]) -> None:
    headers = {**loaded, "Idempotency-Key": "claim-1"}
    assert (await session.http.post("/api/v1/verifications", json=CLAIM, headers=headers)).status_code == 200
    for path, body in (("/api/v1/verifications", OTHER), ("/api/v1/verifications/batch", {"items": [CLAIM]})):
        refused = await session.http.post(path, json=body, headers=headers)
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert [error["field"] for error in refused.json()["errors"]] == ["Idempotency-Key"]
    assert await stored_count(session) == 1


async def test_keys_are_per_client(session: ApiSession, loaded: dict[str, str]) -> None:
    other = await session.bearer("Verzekeraar B")
    first = await session.http.post("/api/v1/verifications", json=CLAIM, headers={**loaded, "Idempotency-Key": "k-1"})
    second = await session.http.post("/api/v1/verifications", json=OTHER, headers={**other, "Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 200
    assert first.json()["verification_id"] != second.json()["verification_id"]


@pytest.mark.parametrize("key", ["x" * 65, "", "twee woorden", "é-key"])
async def test_a_malformed_key_is_422_naming_the_header(session: ApiSession, loaded: dict[str, str], key: str) -> None:
    for path, body in (("/api/v1/verifications", CLAIM), ("/api/v1/verifications/batch", BATCH)):
        response = await session.http.post(path, json=body, headers={**loaded, "Idempotency-Key": key.encode()})  # pyright: ignore
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await stored_count(session) == 0


@pytest.mark.parametrize("path, body, answers", [("/api/v1/verifications", CLAIM, 1), ("/api/v1/verifications/batch", BATCH, 3)])
async def test_concurrent_duplicates_get_one_answer(session: ApiSession, loaded: dict[str, str], path: str, body: Any, answers: int) -> None:
    headers = {**loaded, "Idempotency-Key": "at-once"}
    responses = await asyncio.gather(*(session.http.post(path, json=body, headers=headers) for _ in range(8)))
    assert {response.status_code for response in responses} == {200}
    assert len({response.content for response in responses}) == 1
    assert await stored_count(session) == answers


async def test_concurrent_duplicates_on_two_instances_get_one_answer(settings) -> None:
    async with open_session(settings) as first, open_session(settings) as second:
        await import_document(first.engine, encode(registry_document()), OPERATOR)
        await first.recorded()
        await second.recorded()
        headers = {**await first.bearer(), "Idempotency-Key": "two-instances"}
        responses = await asyncio.gather(*(
            instance.http.post("/api/v1/verifications/batch", json=BATCH, headers=headers) for instance in (first, second) * 4
        ))
        assert {response.status_code for response in responses} == {200}, [r.text for r in responses]
        assert len({response.content for response in responses}) == 1
        assert await stored_count(first) == 3


async def test_keys_expire_after_24_hours_and_are_forgotten(session: ApiSession, loaded: dict[str, str]) -> None:
    headers = {**loaded, "Idempotency-Key": "old-key"}
    first = await session.http.post("/api/v1/verifications", json=CLAIM, headers=headers)
    async with writing(session.engine, serialise=False) as writer:
        await writer.execute("UPDATE idempotency_key SET created_at = ?", int((time.time() - KEEP_SECONDS - 5) * 1000))
    later = await session.http.post("/api/v1/verifications", json=OTHER, headers=headers)
    assert later.status_code == 200 and later.json()["verification_id"] != first.json()["verification_id"]
    async with writing(session.engine, serialise=False) as writer:
        await writer.execute("UPDATE idempotency_key SET created_at = ?", int((time.time() - KEEP_SECONDS - 5) * 1000))
    await session.api.idempotency.forget_expired()
    async with reading(session.engine) as reader:
        assert (await reader.fetch_row("SELECT COUNT(*) AS n FROM idempotency_key"))["n"] == 0


async def test_a_refused_request_leaves_its_key_free(settings) -> None:
    await fresh_rate_window()
    async with open_session(replace(settings, api_rate_limit_per_minute=2)) as limited:
        await import_document(limited.engine, encode(registry_document()), OPERATOR)
        await limited.recorded()
        headers = {**await limited.bearer(), "Idempotency-Key": "too-many"}
        refused = await limited.http.post("/api/v1/verifications/batch", json=BATCH, headers=headers)
        assert refused.status_code == 429
        answered = await limited.http.post("/api/v1/verifications/batch", json={"items": [CLAIM]}, headers=headers)
        assert answered.status_code == 200, "the refused request did not keep the key"


STRUCTURED = re.compile(r'^"(?P<policy>[a-z]+)";(?P<params>[a-z]+=\d+(;[a-z]+=\d+)*)$')


def limit_headers(response: Any) -> tuple[str, dict[str, int], dict[str, int]]:
    """The policy name, the RateLimit-Policy parameters and the RateLimit parameters of an answer."""
    policy, limit = STRUCTURED.match(response.headers["ratelimit-policy"]), STRUCTURED.match(response.headers["ratelimit"])
    assert policy and limit and policy["policy"] == limit["policy"], (response.headers.get("ratelimit-policy"), response.headers.get("ratelimit"))

    def params(match: re.Match[str]) -> dict[str, int]:
        return {name: int(value) for name, value in (pair.split("=") for pair in match["params"].split(";"))}

    return policy["policy"], params(policy), params(limit)


async def test_every_api_answer_says_the_callers_limit(settings) -> None:
    await fresh_rate_window()
    async with open_session(replace(settings, api_rate_limit_per_minute=5)) as limited:
        await import_document(limited.engine, encode(registry_document()), OPERATOR)
        await limited.recorded()
        headers = await limited.bearer()
        single = await limited.http.post("/api/v1/verifications", json=CLAIM, headers=headers)
        assert limit_headers(single)[0] == "verifications"
        assert limit_headers(single)[1] == {"q": 5, "w": 60}
        assert limit_headers(single)[2]["r"] == 4 and 1 <= limit_headers(single)[2]["t"] <= 60
        batch = await limited.http.post("/api/v1/verifications/batch", json={"items": [CLAIM, OTHER]}, headers=headers)
        assert batch.status_code == 200 and limit_headers(batch)[2]["r"] == 2, "a batch counts each item"
        invalid = await limited.http.post("/api/v1/verifications/batch", json={"items": []}, headers=headers)
        assert invalid.status_code == 422 and limit_headers(invalid)[2]["r"] == 2
        read = await limited.http.get(f"/api/v1/verifications/{single.json()['verification_id']}", headers=headers)
        assert read.status_code == 200 and limit_headers(read)[2]["r"] == 1
        assert limit_headers(await limited.http.post("/api/v1/verifications", json=CLAIM, headers=headers))[2]["r"] == 0
        refused = await limited.http.post("/api/v1/verifications", json=CLAIM, headers=headers)
        assert refused.status_code == 429 and limit_headers(refused)[2]["r"] == 0
        assert int(refused.headers["retry-after"]) == limit_headers(refused)[2]["t"]
        public = await limited.http.get("/api/v1/programmes")
        assert public.status_code == 200 and limit_headers(public)[0] == "public"
        assert limit_headers(public)[1]["q"] == settings.public_rate_limit_per_minute


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
async def test_answers_over_1_kb_are_compressed_when_asked(session: ApiSession, loaded: dict[str, str], coding: str) -> None:
    big = {"items": [CLAIM] * 50}
    plain = await session.http.post("/api/v1/verifications/batch", json=big, headers={**loaded, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    packed = await session.http.post("/api/v1/verifications/batch", json=big, headers={**loaded, "Accept-Encoding": coding})
    assert packed.headers["content-encoding"] == coding and "accept-encoding" in packed.headers["vary"].lower()
    assert int(packed.headers["content-length"]) < len(plain.content) / 3
    assert packed.json()["summary"] == plain.json()["summary"] and len(packed.json()["results"]) == 50
    # The plain-ASGI hot route too: its answer (with receipt) is over 1 KB.
    single = await session.http.post("/api/v1/verifications", json=CLAIM, headers={**loaded, "Accept-Encoding": coding})
    assert single.headers["content-encoding"] == coding and single.json()["accredited"] is True


@pytest.mark.parametrize("asked, coding", [
    ("gzip;q=0, br;q=0, zstd;q=0", None), ("gzip, br;q=0.5", "gzip"), ("gzip, deflate, br, zstd", "zstd"), ("*", "zstd"),
    ("*;q=0.1, br", "br"), ("identity", None), ("deflate", None),
])
async def test_the_client_chooses_the_coding(session: ApiSession, loaded: dict[str, str], asked: str, coding: str | None) -> None:
    response = await session.http.post("/api/v1/verifications/batch", json={"items": [CLAIM] * 5}, headers={**loaded, "Accept-Encoding": asked})
    assert response.status_code == 200 and response.headers.get("content-encoding") == coding


async def test_small_answers_stay_plain_and_streamed_files_are_compressed(session: ApiSession, loaded: dict[str, str]) -> None:
    live = await session.http.get("/health/live", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in live.headers and live.json() == {"status": "ok"} and live.headers["vary"] == "Accept-Encoding"
    many = [{"registration_number": f"C-X{number}", "initials": "K.", "surname": f"Coach {number}", "city": "Zeist"} for number in range(300)]
    await import_document(session.engine, encode({"coaches": many}), OPERATOR)
    await session.recorded()
    plain = await session.http.get("/open-data/coaches.csv", headers={"Accept-Encoding": "identity"})
    packed = await session.http.get("/open-data/coaches.csv", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip" and packed.content == plain.content
    # Cached public answers: the compressed one has a weak tag, and revalidating with it gives 304.
    listing = await session.http.get("/api/v1/coaches?page_size=100", headers={"Accept-Encoding": "br"})
    assert listing.headers["content-encoding"] == "br" and listing.headers["etag"].startswith('W/"')
    again = await session.http.get("/api/v1/coaches?page_size=100", headers={"Accept-Encoding": "br", "If-None-Match": listing.headers["etag"]})
    assert again.status_code == 304


async def test_receipts_carry_iat_and_a_key_set_cached_before_a_rotation_still_verifies_them(session: ApiSession, loaded: dict[str, str]) -> None:
    cached = KeySet.import_key_set((await session.http.get("/.well-known/jwks.json")).json())
    key_file = session.api.settings.key_file
    KeyRing.load(key_file).rotated(dt.datetime.now(dt.timezone.utc)).save(key_file)
    session.api.keys.refresh(now=True)
    published = {key["kid"] for key in (await session.http.get("/.well-known/jwks.json")).json()["keys"]}
    assert len(published) == 2, "the new key is published at once"
    response = await session.http.post("/api/v1/verifications", json=CLAIM, headers=loaded)
    answer = response.json()
    receipt = jws.deserialize_compact(answer["receipt"], cached, algorithms=["ES256"])  # no new key id to look up yet
    payload = json.loads(receipt.payload)
    checked_at = dt.datetime.fromisoformat(answer["checked_at"].replace("Z", "+00:00"))
    assert payload["iat"] == int(checked_at.timestamp()) and payload["iat"] <= time.time()


async def test_the_openapi_document_names_the_idempotency_key(session: ApiSession) -> None:
    document = (await session.http.get("/schema/openapi.json")).json()
    for path in ("/api/v1/verifications", "/api/v1/verifications/batch"):
        operation = document["paths"][path]["post"]
        [header] = [parameter for parameter in operation["parameters"] if parameter["name"] == "Idempotency-Key"]
        assert header["in"] == "header" and header["schema"]["maxLength"] == 64
        assert {"409", "422"} <= set(operation["responses"])
