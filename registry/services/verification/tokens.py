"""Access tokens for billing systems: signed JWTs issued by /oauth/token and checked on every call."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass

from joserfc import jws
from joserfc.errors import JoseError

from registry.services.verification.signing import ALGORITHM, LiveKeys, canonical_signature

VERIFY_SCOPE = "verify"
# Verified tokens are remembered so the signature (~135 µs) is checked once per token, not per call.
TOKEN_CACHE_SIZE = 10_000


class InvalidToken(Exception):
    """The bearer token is missing, malformed, forged, expired or not for us."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """What a valid access token says."""

    client_id: str
    scopes: frozenset[str]
    expires_at: int
    issuer: str


def audience_of(issuer: str) -> str:
    """The `aud` of access tokens: the verification API under the issuer's base URL."""
    return f"{issuer}/api/v1"


class TokenAuthority:
    """Issues and checks access tokens with the registry's key ring."""

    def __init__(self, keys: LiveKeys, lifetime_seconds: int):
        self.keys = keys
        self.lifetime_seconds = lifetime_seconds
        self._verified: OrderedDict[str, TokenClaims] = OrderedDict()

    def issue(self, client_id: str, scope: str, issuer: str) -> dict[str, object]:
        """A token response body for a client (RFC 6749 §5.1), issued under the registry's base URL `issuer`."""
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience_of(issuer),
            "sub": client_id,
            "client_id": client_id,
            "scope": scope,
            "iat": now,
            "nbf": now,
            "exp": now + self.lifetime_seconds,
            "jti": secrets.token_urlsafe(16),
        }
        token = self.keys.sign_compact(json.dumps(claims, separators=(",", ":")).encode())
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime_seconds, "scope": scope}

    def check(self, token: str, issuer: str, scope: str = VERIFY_SCOPE, now: float | None = None) -> TokenClaims:
        """The claims of a valid token issued under `issuer` that grants `scope` (any scope when empty); raises InvalidToken otherwise."""
        now = time.time() if now is None else now
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify(token, issuer, now)
            self._verified[token] = claims
            if len(self._verified) > TOKEN_CACHE_SIZE:
                self._verified.popitem(last=False)
        if claims.issuer != issuer:
            # Each base URL the registry answers on issues its own tokens (and a cached token counts only there).
            raise InvalidToken("the access token was issued by someone else")
        if claims.expires_at <= now:
            self._verified.pop(token, None)
            raise InvalidToken("the access token has expired")
        if scope and scope not in claims.scopes:
            raise InvalidToken(f"the access token does not grant the scope {scope!r}")
        return claims

    def _verify(self, token: str, issuer: str, now: float) -> TokenClaims:
        header = _header(token)
        # Only our algorithm and only our own keys: `jwk`, `jku` and `x5u` headers are never followed.
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("the access token is not signed with ES256")
        if not canonical_signature(token):
            raise InvalidToken("the access token's signature does not verify")
        key = self.keys.verification_key(str(header.get("kid", "")))
        if key is None:
            raise InvalidToken("the access token is signed with a key the registry does not publish")
        try:
            payload = jws.deserialize_compact(token, key, algorithms=[ALGORITHM]).payload
            claims = json.loads(payload)
        except (JoseError, ValueError) as problem:
            raise InvalidToken("the access token's signature does not verify") from problem
        if not isinstance(claims, dict):
            raise InvalidToken("the access token holds no claims")
        if claims.get("iss") != issuer:
            raise InvalidToken("the access token was issued by someone else")
        audience, expected = claims.get("aud"), audience_of(issuer)
        if audience != expected and not (isinstance(audience, list) and expected in audience):
            raise InvalidToken("the access token is meant for another audience")
        expires_at, not_before = claims.get("exp"), claims.get("nbf", 0)
        if not isinstance(expires_at, int) or expires_at <= now:
            raise InvalidToken("the access token has expired")
        if not isinstance(not_before, int) or not_before > now + 60:
            raise InvalidToken("the access token is not valid yet")
        client_id, scope = claims.get("client_id"), claims.get("scope", "")
        if not isinstance(client_id, str) or not isinstance(scope, str):
            raise InvalidToken("the access token names no client")
        return TokenClaims(client_id, frozenset(scope.split()), expires_at, issuer)


def _header(token: str) -> dict[str, object]:
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("the access token is not a compact JWS")
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except ValueError as problem:
        raise InvalidToken("the access token's header is not JSON") from problem
    if not isinstance(header, dict):
        raise InvalidToken("the access token's header is not a JSON object")
    return header
