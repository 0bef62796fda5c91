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
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from registry.cli.operations import public_url_mismatch
from registry.services.staff.clients import disable_client, rotate_secret
from registry.services.verification.signing import KeyRing, b64url, new_key
from tests.functional.api_client import ApiSession
from tests.functional.conftest import open_session
from tests.functional.helpers import OPERATOR

# REGISTRY_PUBLIC_URL is not set: tokens are issued under the origin the requests are sent to.
ORIGIN = "http://registry.test"
CLAIM = {"programme_code": "P-1", "coach_registration_number": "C-1", "service_date": "2026-03-01"}


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def claims_for(session: ApiSession, subject: str, **changes: object) -> dict[str, object]:
    now = int(time.time())
    claims = {
        "iss": ORIGIN,
        "aud": f"{ORIGIN}/api/v1",
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
    # RFC 6749 §5.2: JSON with `error` and `error_description`, not problem+json.
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"error", "error_description"} and response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


async def test_every_client_failure_is_one_401_invalid_client(session: ApiSession) -> None:
    client_id, secret = await session.new_client()
    disabled_id, disabled_secret = await session.new_client()
    await disable_client(session.engine, OPERATOR, disabled_id)
    grant = {"grant_type": "client_credentials"}
    attempts = [
        ({**grant, "client_id": "smr-nobody", "client_secret": "x"}, {}),  # unknown client, form fields
        (grant, basic("smr-nobody", "x")),  # unknown client, HTTP Basic
        ({**grant, "client_id": client_id, "client_secret": secret + "x"}, {}),  # wrong secret, form fields
        (grant, basic(client_id, secret + "x")),  # wrong secret, HTTP Basic
        (grant, basic(disabled_id, disabled_secret)),  # disabled client
        (grant, {}),  # no credentials at all
    ]
    answers = set()
    for form, headers in attempts:
        response = await session.http.post("/oauth/token", data=form, headers=headers)
        assert response.status_code == 401, (form, headers, response.text)
        assert response.headers["content-type"] == "application/json"
        assert response.headers["www-authenticate"].startswith("Basic")
        answers.add(response.content)
    # One body whatever failed: it never tells which client ids exist, nor which methods were tried.
    [body] = answers
    assert b"methods" not in body and b"smr-nobody" not in body


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
    assert metadata["issuer"] == ORIGIN
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


async def test_the_public_url_is_the_requests_own_origin(session: ApiSession) -> None:
    client_id, secret = await session.new_client()
    for origin in ("http://registry.test", "http://127.0.0.1:8080", "http://register.example.nl:8443"):
        host = origin.split("://")[1]
        metadata = (await session.http.get("/.well-known/oauth-authorization-server", headers={"Host": host})).json()
        assert metadata["issuer"] == origin and metadata["token_endpoint"] == f"{origin}/oauth/token"
        assert metadata["jwks_uri"] == f"{origin}/.well-known/jwks.json"
        if host.startswith("127.0.0.1"):  # Authlib takes plain http only on loopback
            AuthorizationServerMetadata(metadata).validate()
        token = (await session.http.post("/oauth/token", data={"grant_type": "client_credentials"},
                                         headers={**basic(client_id, secret), "Host": host})).json()["access_token"]
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        assert claims["iss"] == origin and claims["aud"] == f"{origin}/api/v1"
        answer = await session.http.post("/api/v1/verifications", json=CLAIM, headers={"Authorization": f"Bearer {token}", "Host": host})
        assert answer.status_code == 200, answer.text
        receipt = json.loads(base64.urlsafe_b64decode(answer.json()["receipt"].split(".")[1] + "=="))
        assert receipt["iss"] == origin
    # A Host header that is no host name does not become the issuer.
    odd = await session.http.get("/.well-known/oauth-authorization-server", headers={"Host": "evil.example/<x>"})
    assert odd.status_code == 400 or "evil" not in odd.json()["issuer"]


async def test_a_configured_public_url_wins_over_the_origin(settings) -> None:
    async with open_session(replace(settings, public_url="https://register.example.nl")) as configured:
        metadata = (await configured.http.get("/.well-known/oauth-authorization-server", headers={"Host": "127.0.0.1:9"})).json()
        assert metadata["issuer"] == "https://register.example.nl"
        assert metadata["token_endpoint"] == "https://register.example.nl/oauth/token"
        AuthorizationServerMetadata(metadata).validate()
        headers = await configured.bearer()
        assert (await configured.http.post("/api/v1/verifications", json=CLAIM, headers=headers)).status_code == 200


def test_serve_warns_when_the_public_url_is_not_its_own_address() -> None:
    assert "listens on 127.0.0.1:8080" in (public_url_mismatch("http://127.0.0.1:8000", "127.0.0.1", 8080) or "")
    assert public_url_mismatch("http://localhost:8080", "0.0.0.0", 8080) is None
    assert public_url_mismatch("https://register.example.nl", "127.0.0.1", 8000) is None  # behind a reverse proxy
