"""OAuth2 client credentials (RFC 6749 §4.4), its metadata (RFC 8414) and the public keys (JWKS)."""

from __future__ import annotations

from typing import Literal

from msgspec import Struct


class TokenRequest(Struct):
    """A client credentials token request (form-encoded); the client authenticates by HTTP Basic or these fields."""

    grant_type: Literal["client_credentials"]
    scope: Literal["verify"] | None = None
    client_id: str | None = None
    client_secret: str | None = None


class TokenResponse(Struct):
    """An access token (RFC 6749 §5.1): a signed JWT."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str


OAuthError = Literal["invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope"]


class TokenError(Struct):
    """A refused token request (RFC 6749 §5.2), as `application/json`."""

    error: OAuthError
    error_description: str


class ServerMetadata(Struct):
    """Where to get tokens and keys, and what is supported (RFC 8414)."""

    issuer: str
    token_endpoint: str
    jwks_uri: str
    grant_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    scopes_supported: list[str]
    response_types_supported: list[str]
    service_documentation: str


class PublicKey(Struct):
    """A public signing key as a JWK (RFC 7517): EC P-256, for ES256 signatures."""

    crv: Literal["P-256"]
    x: str
    y: str
    kty: Literal["EC"]
    kid: str
    use: Literal["sig"]
    alg: Literal["ES256"]


class KeySet(Struct):
    """The registry's published keys: for access tokens and receipts; a new key appears here before it signs."""

    keys: list[PublicKey]
