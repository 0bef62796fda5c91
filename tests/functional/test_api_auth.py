"""Client credentials, token checks and client lifecycle, through HTTP (api.md "Client authentication")."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from dataclasses import replace

import pytest

from registry.services.staff.clients import disable_client, rotate_secret
from registry.services.verification.signing import KeyRing, b64url, new_key
from tests.functional.api_client import ApiSession
from tests.functional.conftest import open_session
from tests.functional.helpers import OPERATOR

CLAIM = {"programme_code": "P-1", "coach_registration_number": "C-1", "service_date": "2026-03-01"}


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def claims_for(session: ApiSession, subject: str, **changes: object) -> dict[str, object]:
    now = int(time.time())
    claims = {
        "iss": session.api.settings.public_url,
        "aud": session.api.settings.token_audience,
        "sub": subject,
        "client_id": subject,
        "scope": "verify",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return claims


def signed(session: ApiSession, claims: dict[str, object]) -> str:
    return session.api.keys.sign_compact(json.dumps(claims).encode())


async def verify_with(session: ApiSession, token: str):
    return await session.http.post("/api/v1/verifications", json=CLAIM, headers={"Authorization": f"Bearer {token}"})


async def test_token_by_http_basic_and_by_form_fields(session: ApiSession) -> None:
    client_id, secret = await session.new_client()
    by_basic = await session.http.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret))
    by_form = await session.http.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    )
    for response in (by_basic, by_form):
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "Bearer" and body["scope"] == "verify" and body["expires_in"] == 3600
        assert response.headers["cache-control"] == "no-store"
        assert (await verify_with(session, body["access_token"])).status_code == 200


@pytest.mark.parametrize(
    "form, status, error",
    [
        ({"grant_type": "client_credentials"}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": "admin"}, 400, "invalid_scope"),
    ],
)
async def test_token_request_refusals(session: ApiSession, form: dict[str, str], status: int, error: str) -> None:
    client_id, secret = await session.new_client()
    wrong = secret + "x" if error == "invalid_client" else secret
    response = await session.http.post("/oauth/token", data=form, headers=basic(client_id, wrong))
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["error"] == error


async def test_unknown_client_is_invalid_client(session: ApiSession) -> None:
    response = await session.http.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic("smr-nobody", "x"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


async def test_only_a_hash_of_the_secret_is_stored(session: ApiSession) -> None:
    from registry.services.sql import reading

    client_id, secret = await session.new_client()
    async with reading(session.engine) as reader:
        row = await reader.fetch_one("SELECT * FROM api_client WHERE client_id = ?", client_id)
    assert secret not in json.dumps(row, default=str)
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()


async def test_no_token_and_malformed_tokens_are_refused(session: ApiSession) -> None:
    response = await session.http.post("/api/v1/verifications", json=CLAIM)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"].startswith("application/problem+json")
    for token in ("garbage", "a.b.c", "eyJhbGciOiJFUzI1NiJ9.e30.AAAA"):
        assert (await verify_with(session, token)).status_code == 401


async def test_expired_token_is_refused(session: ApiSession) -> None:
    client_id, _ = await session.new_client()
    token = signed(session, claims_for(session, client_id, exp=int(time.time()) - 5))
    response = await verify_with(session, token)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


async def test_token_signed_with_another_key_is_refused(session: ApiSession) -> None:
    client_id, _ = await session.new_client()
    impostor_key = new_key(session.api.keys.active.created_at)
    # Same kid as the registry's key, different private key: the signature must not verify.
    impostor = KeyRing([replace(impostor_key, kid=session.api.keys.active.kid)])
    token = impostor.sign_compact(json.dumps(claims_for(session, client_id)).encode())
    assert (await verify_with(session, token)).status_code == 401
    stranger = KeyRing([impostor_key]).sign_compact(json.dumps(claims_for(session, client_id)).encode())
    assert (await verify_with(session, stranger)).status_code == 401


async def test_alg_none_is_refused(session: ApiSession) -> None:
    client_id, _ = await session.new_client()
    header = b64url(json.dumps({"alg": "none", "kid": session.api.keys.active.kid}).encode())
    payload = b64url(json.dumps(claims_for(session, client_id)).encode())
    for token in (f"{header}.{payload}.", f"{header}.{payload}.e30"):
        assert (await verify_with(session, token)).status_code == 401


async def test_hs256_signed_with_the_public_key_is_refused(session: ApiSession) -> None:
    client_id, _ = await session.new_client()
    public_jwk = json.dumps(session.api.keys.active.public_jwk()).encode()
    public_pem = session.api.keys.active.key.as_pem(private=False)
    for secret in (public_jwk, public_pem):
        header = b64url(json.dumps({"alg": "HS256", "kid": session.api.keys.active.kid}).encode())
        payload = b64url(json.dumps(claims_for(session, client_id)).encode())
        signature = b64url(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        assert (await verify_with(session, f"{header}.{payload}.{signature}")).status_code == 401


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "https://elsewhere.example/api"},
        {"iss": "https://impostor.example"},
        {"scope": ""},
        {"client_id": "smr-unknown"},
    ],
    ids=["wrong-audience", "wrong-issuer", "no-verify-scope", "unknown-client"],
)
async def test_tokens_with_wrong_claims_are_refused(session: ApiSession, changes: dict[str, object]) -> None:
    client_id, _ = await session.new_client()
    response = await verify_with(session, signed(session, claims_for(session, client_id, **changes)))
    assert response.status_code == (403 if changes.get("scope") == "" else 401)


async def test_disabled_clients_tokens_stop_working_at_once(session: ApiSession) -> None:
    client_id, secret = await session.new_client()
    token = await session.token_for(client_id, secret)
    assert (await verify_with(session, token)).status_code == 200
    await disable_client(session.engine, OPERATOR, client_id)
    await session.recorded()
    response = await verify_with(session, token)
    assert response.status_code == 401 and "disabled" in response.json()["detail"]
    refused = await session.http.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret))
    assert refused.status_code == 401


async def test_rotated_secret_replaces_the_old_one(session: ApiSession) -> None:
    client_id, old_secret = await session.new_client()
    new = await rotate_secret(session.engine, OPERATOR, client_id)
    old = await session.http.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, old_secret))
    assert old.status_code == 401
    assert await session.token_for(client_id, new.client_secret)


async def test_another_clients_verification_is_not_found(session: ApiSession) -> None:
    mine = await session.bearer("Verzekeraar A")
    theirs = await session.bearer("Verzekeraar B")
    made = await session.http.post("/api/v1/verifications", json=CLAIM, headers=mine)
    verification_id = made.json()["verification_id"]
    assert (await session.http.get(f"/api/v1/verifications/{verification_id}", headers=mine)).json() == made.json()
    other = await session.http.get(f"/api/v1/verifications/{verification_id}", headers=theirs)
    assert other.status_code == 404
    assert (await session.http.get(f"/api/v1/verifications/{verification_id}")).status_code == 401


async def test_metadata_and_jwks(session: ApiSession) -> None:
    metadata = (await session.http.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["issuer"] == session.api.settings.public_url
    assert metadata["token_endpoint"].endswith("/oauth/token")
    assert metadata["grant_types_supported"] == ["client_credentials"]
    jwks = (await session.http.get("/.well-known/jwks.json")).json()
    [key] = jwks["keys"]
    assert key["kid"] == session.api.keys.active.kid and key["alg"] == "ES256" and "d" not in key


async def test_rotated_key_keeps_old_tokens_valid_and_publishes_both(settings, tmp_path) -> None:
    async with open_session(settings) as first:
        headers = await first.bearer()
        old_kid = first.api.keys.active.kid
    ring = KeyRing.load(settings.key_file)
    ring.rotated(dt.datetime.now(dt.timezone.utc)).save(settings.key_file)
    async with open_session(settings) as second:
        kids = {key["kid"] for key in (await second.http.get("/.well-known/jwks.json")).json()["keys"]}
        assert old_kid in kids and second.api.keys.active.kid in kids and len(kids) == 2
        assert (await second.http.post("/api/v1/verifications", json=CLAIM, headers=headers)).status_code == 200
