"""Staff sign-in through the foundation's OpenID Provider: authorization code with PKCE, state and nonce.

Authlib builds the authorization request and exchanges the code; joserfc checks the ID token
(signature from the provider's JWKS, issuer, audience, expiry, nonce). The state, nonce and PKCE
verifier live in the visitor's server-side session until the provider sends the browser back.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from registry.settings import Settings

ALGORITHMS = ["RS256", "ES256", "PS256"]  # never "none", never HMAC with a public key
METADATA_SECONDS = 3600
LEEWAY_SECONDS = 60


class OidcRefused(Exception):
    """The sign-in cannot be completed; the message says why, for the log and the page."""


class OidcUnavailable(Exception):
    """The provider cannot be reached or does not answer properly: nobody can sign in through it just now."""


class OidcClient:
    """The registry as a client of one OpenID Provider."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._metadata: dict[str, Any] | None = None
        self._fetched_at = 0.0

    @property
    def enabled(self) -> bool:
        """Configured with an issuer, a client id and a secret."""
        return bool(self.settings.oidc_issuer and self.settings.oidc_client_id and self.settings.oidc_client_secret)

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, fetched at most once an hour."""
        if self._metadata is None or time.monotonic() - self._fetched_at > METADATA_SECONDS:
            issuer = (self.settings.oidc_issuer or "").rstrip("/")
            try:
                async with httpx.AsyncClient(timeout=10) as http:
                    response = await http.get(f"{issuer}/.well-known/openid-configuration")
                response.raise_for_status()
                metadata = response.json()
            except (httpx.HTTPError, ValueError) as problem:
                raise OidcUnavailable(f"the provider's metadata could not be fetched: {problem!r}") from problem
            if not isinstance(metadata, dict) or str(metadata.get("issuer", "")).rstrip("/") != issuer:
                raise OidcUnavailable("the provider's metadata names another issuer (check REGISTRY_OIDC_ISSUER)")
            self._metadata, self._fetched_at = metadata, time.monotonic()
        return self._metadata

    def _client(self, redirect_uri: str, **extra: Any) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.settings.oidc_client_id, client_secret=self.settings.oidc_client_secret,
            redirect_uri=redirect_uri, scope="openid email profile roles", code_challenge_method="S256", **extra,
        )

    async def begin(self, return_to: str, public_url: str) -> tuple[str, dict[str, Any]]:
        """The provider's authorization URL (back to `public_url`), and what the session must remember to finish the sign-in."""
        metadata = await self.metadata()
        pending = {"state": generate_token(32), "nonce": generate_token(32), "verifier": generate_token(64), "return_to": return_to,
                   "started": int(time.time()), "redirect_uri": f"{public_url}/admin/oidc/callback"}
        async with self._client(pending["redirect_uri"]) as client:  # pyright: ignore[reportGeneralTypeIssues] - an httpx.AsyncClient underneath; Authlib's compat import hides that from the checker
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"], state=pending["state"], nonce=pending["nonce"], code_verifier=pending["verifier"]
            )
        return url, pending

    async def finish(self, pending: dict[str, Any], code: str | None, state: str | None, error: str | None) -> dict[str, Any]:
        """The verified ID token's claims (with userinfo added) for the code the provider sent back."""
        if error:
            raise OidcRefused(f"the provider refused the sign-in: {error}")
        if not pending or not state or state != pending.get("state"):
            raise OidcRefused("this sign-in was not started here, or has already been used (state does not match)")
        if time.time() - pending.get("started", 0) > 600:
            raise OidcRefused("the sign-in took longer than 10 minutes; start again")
        if not code:
            raise OidcRefused("the provider sent no code")
        metadata = await self.metadata()
        async with self._client(str(pending.get("redirect_uri", "")), state=state) as client:  # pyright: ignore[reportGeneralTypeIssues] - an httpx.AsyncClient underneath; Authlib's compat import hides that from the checker
            try:
                token = await client.fetch_token(metadata["token_endpoint"], code=code, code_verifier=pending["verifier"])
            except httpx.TransportError as problem:
                raise OidcUnavailable(f"the provider's token endpoint could not be reached: {problem!r}") from problem
            except Exception as problem:  # Authlib raises its own OAuthError, or an httpx error for a bad answer
                raise OidcRefused(f"the code could not be exchanged: {problem}") from problem
            claims = await self._verified_claims(metadata, token.get("id_token"), pending["nonce"])
            if self.settings.oidc_role_claim not in claims and metadata.get("userinfo_endpoint"):
                try:
                    userinfo = (await client.get(metadata["userinfo_endpoint"])).json()
                except (httpx.HTTPError, ValueError) as problem:
                    raise OidcUnavailable(f"the provider's userinfo could not be fetched: {problem!r}") from problem
                if userinfo.get("sub") == claims["sub"]:
                    claims = {**userinfo, **claims}
        return claims

    async def _verified_claims(self, metadata: dict[str, Any], id_token: str | None, nonce: str) -> dict[str, Any]:
        if not id_token:
            raise OidcRefused("the provider sent no ID token")
        if not self.settings.oidc_client_id:
            raise OidcUnavailable("no client id is configured (REGISTRY_OIDC_CLIENT_ID)")
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                keys = KeySet.import_key_set((await http.get(metadata["jwks_uri"])).json())
        except (httpx.HTTPError, ValueError, JoseError) as problem:
            raise OidcUnavailable(f"the provider's keys could not be fetched: {problem!r}") from problem
        try:
            decoded = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
            jwt.JWTClaimsRegistry(
                leeway=LEEWAY_SECONDS,
                iss={"essential": True, "value": metadata["issuer"]},
                aud={"essential": True, "value": self.settings.oidc_client_id},
                exp={"essential": True},
                sub={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as problem:
            raise OidcRefused(f"the ID token is not valid: {problem}") from problem
        return dict(decoded.claims)

    def role_for(self, claims: dict[str, Any]) -> str | None:
        """The highest registry role the claim's values map to, or None."""
        values = claims.get(self.settings.oidc_role_claim) or []
        values = [values] if isinstance(values, str) else values
        mapped = {role for claim_value, role in self.settings.oidc_role_map if claim_value in values}
        for role in ("admin", "editor", "viewer"):
            if role in mapped:
                return role
        return None
