"""The test OpenID Provider works end to end with Authlib and joserfc, as the staff sign-in will use them."""

from __future__ import annotations

from typing import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from authlib.oauth2.rfc6749.errors import MismatchingStateException
from joserfc import jwt
from joserfc.errors import InvalidClaimError
from joserfc.jwk import KeySet

from tests.support.oidc_provider import Provider, complete_login, running_provider

REDIRECT_URI = "http://127.0.0.1:9/auth/callback"
SCOPE = "openid email profile roles"
ACCOUNTS = {
    "anna": {"email": "anna@example.nl", "name": "Anna de Boer", "roles": ["editor"]},
    "bram": {"email": "bram@example.nl", "name": "Bram Smit", "roles": ["viewer", "auditor"]},
}


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[Provider]:
    """One provider for the module: starting node costs about a second."""
    with running_provider([REDIRECT_URI], ACCOUNTS) as provider:
        yield provider


@pytest.fixture(scope="module")
def metadata(oidc_provider: Provider) -> dict:
    """The provider's discovery document."""
    return httpx.get(oidc_provider.metadata_url).raise_for_status().json()


@pytest.fixture
def client(oidc_provider: Provider) -> Iterator[OAuth2Client]:
    """A confidential Authlib client using PKCE S256."""
    with OAuth2Client(oidc_provider.client_id, oidc_provider.client_secret, scope=SCOPE, redirect_uri=REDIRECT_URI,
                      code_challenge_method="S256") as oauth:
        yield oauth


def start_sign_in(client: OAuth2Client, metadata: dict) -> tuple[str, str, str, str]:
    """The authorization URL and the state, nonce and code verifier that go with it."""
    state, nonce, verifier = generate_token(24), generate_token(24), generate_token(48)
    url, _ = client.create_authorization_url(metadata["authorization_endpoint"], state=state, nonce=nonce,
                                             code_verifier=verifier)
    return url, state, nonce, verifier


def verified_id_token(id_token: str, metadata: dict, provider: Provider, nonce: str) -> dict:
    """The ID token's claims once its signature, issuer, audience, expiry and nonce check out."""
    keyset = KeySet.import_key_set(httpx.get(metadata["jwks_uri"]).raise_for_status().json())
    token = jwt.decode(id_token, keyset, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": provider.issuer}, aud={"essential": True, "value": provider.client_id},
                          nonce={"essential": True, "value": nonce}, exp={"essential": True}).validate(token.claims)
    return token.claims


def with_query(url: str, **changes: str) -> str:
    """The URL with some query parameters replaced."""
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()} | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_sign_in_yields_a_verified_id_token_with_the_accounts_claims(oidc_provider, metadata, client):
    url, state, nonce, verifier = start_sign_in(client, metadata)

    callback = complete_login(url, "anna")

    assert callback.startswith(REDIRECT_URI + "?")
    params = parse_qs(urlsplit(callback).query)
    assert params["state"] == [state]
    # RFC 9207: the provider names itself in the callback, against mix-up attacks.
    assert params["iss"] == [oidc_provider.issuer]
    token = client.fetch_token(metadata["token_endpoint"], authorization_response=callback, state=state, code_verifier=verifier)
    claims = verified_id_token(token["id_token"], metadata, oidc_provider, nonce)
    assert claims["sub"] == "anna"
    assert claims["email"] == "anna@example.nl"
    assert claims["name"] == "Anna de Boer"
    assert claims["roles"] == ["editor"]
    userinfo = client.get(metadata["userinfo_endpoint"]).raise_for_status().json()
    assert userinfo == {"sub": "anna", "email": "anna@example.nl", "name": "Anna de Boer", "roles": ["editor"]}


def test_each_account_gets_its_own_claims_and_unknown_logins_only_a_subject(oidc_provider, metadata, client):
    for login, expected in [("bram", ACCOUNTS["bram"]), ("nobody", {})]:
        url, state, nonce, verifier = start_sign_in(client, metadata)
        callback = complete_login(url, login)
        token = client.fetch_token(metadata["token_endpoint"], authorization_response=callback, state=state,
                                   code_verifier=verifier)
        claims = verified_id_token(token["id_token"], metadata, oidc_provider, nonce)
        assert claims["sub"] == login
        assert {key: claims[key] for key in ("email", "name", "roles") if key in claims} == expected


def test_a_wrong_code_verifier_is_refused(metadata, client):
    url, state, _, _ = start_sign_in(client, metadata)
    callback = complete_login(url, "anna")

    with pytest.raises(OAuthError) as refused:
        client.fetch_token(metadata["token_endpoint"], authorization_response=callback, state=state,
                           code_verifier=generate_token(48))
    assert refused.value.error == "invalid_grant"


def test_a_tampered_state_is_refused(metadata, client):
    url, state, _, verifier = start_sign_in(client, metadata)
    callback = complete_login(url, "anna")

    with pytest.raises(MismatchingStateException):
        client.fetch_token(metadata["token_endpoint"], authorization_response=with_query(callback, state=generate_token(24)),
                           state=state, code_verifier=verifier)


def test_an_id_token_for_another_nonce_is_refused(oidc_provider, metadata, client):
    url, state, nonce, verifier = start_sign_in(client, metadata)
    token = client.fetch_token(metadata["token_endpoint"], authorization_response=complete_login(url, "anna"), state=state,
                               code_verifier=verifier)

    with pytest.raises(InvalidClaimError):
        verified_id_token(token["id_token"], metadata, oidc_provider, nonce=generate_token(24))


def test_a_code_is_good_for_one_exchange_only(metadata, client):
    url, state, _, verifier = start_sign_in(client, metadata)
    callback = complete_login(url, "anna")
    client.fetch_token(metadata["token_endpoint"], authorization_response=callback, state=state, code_verifier=verifier)

    with pytest.raises(OAuthError) as refused:
        client.fetch_token(metadata["token_endpoint"], authorization_response=callback, state=state, code_verifier=verifier)
    assert refused.value.error == "invalid_grant"
