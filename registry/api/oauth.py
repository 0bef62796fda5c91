"""OAuth2 client credentials (RFC 6749 §4.4) with Authlib, the JWKS and RFC 8414 metadata."""

from __future__ import annotations

import base64
import binascii
from contextvars import ContextVar
from typing import Any, cast, get_args
from urllib.parse import unquote

import msgspec
from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from litestar import Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec

from registry.api import limits
from registry.api.context import ApiContext
from registry.api.openapi import FORM, problems, reads_body
from registry.api.problems import Refused
from registry.schemas.oauth import KeySet, OAuthError, ServerMetadata, TokenError, TokenRequest, TokenResponse
from registry.services.sql import reading
from registry.services.staff.client_usage import note_token_issued
from registry.services.staff.clients import ClientRecord, load_clients
from registry.services.verification.signing import JWKS_MAX_AGE
from registry.services.verification.tokens import VERIFY_SCOPE

TOKEN_REQUESTS_PER_MINUTE = 120
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# One answer for every failed client authentication, so that it never tells which client ids exist.
CLIENT_REFUSED = "client authentication failed (unknown or disabled client, wrong secret, or no credentials)"
TOKEN_ERRORS = {
    400: ResponseSpec(TokenError, media_type="application/json", generate_examples=False,
                      description="RFC 6749 §5.2: the grant type or scope is not supported, or the request is malformed."),
    401: ResponseSpec(TokenError, media_type="application/json", generate_examples=False,
                      description="RFC 6749 §5.2 `invalid_client`: the same answer for an unknown client, a wrong secret and a disabled client."),
}


class FormTokenRequest(OAuth2Request):
    """A token request whose form fields were already read by Litestar."""

    def __init__(self, uri: str, headers: Any, form: dict[str, str]):
        super().__init__("POST", uri, headers=headers)
        self.payload = BasicOAuth2Payload(form)
        self._form = form

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


class OAuthClient(ClientMixin):
    """A billing system as Authlib sees it: client credentials only, scope `verify` only."""

    def __init__(self, record: ClientRecord):
        self.record = record

    def get_client_id(self) -> str:
        return self.record.client_id

    def check_client_secret(self, client_secret: str) -> bool:
        return self.record.check_secret(client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return VERIFY_SCOPE
        return " ".join(s for s in scope.split() if s == VERIFY_SCOPE)


class CredentialsGrant(ClientCredentialsGrant):
    """Client credentials, authenticated by HTTP Basic or by form fields."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


# What Authlib's token endpoint answers, as handle_response below returns it: status, JSON body, headers.
TokenAnswer = tuple[int, dict[str, Any], list[tuple[str, str]]]

# Authlib's server is synchronous; the client it asks for is loaded beforehand and handed over here.
_loaded_client: ContextVar[OAuthClient | None] = ContextVar("loaded_client", default=None)


class TokenServer(AuthorizationServer):
    """Authlib's authorization server, bridged to Litestar."""

    def __init__(self, context: ApiContext, issuer: str):
        super().__init__(scopes_supported=[VERIFY_SCOPE])
        self.register_grant(CredentialsGrant)
        self.register_token_generator("default", self._issue)  # pyright: ignore[reportArgumentType] - Authlib calls any callable with these arguments
        self.context = context
        self.issuer = issuer

    def _issue(self, grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=False):
        return self.context.tokens.issue(client.get_client_id(), client.get_allowed_scope(scope), self.issuer)

    def query_client(self, client_id: str) -> OAuthClient | None:
        client = _loaded_client.get()
        return client if client is not None and client.get_client_id() == client_id else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Access tokens are self-contained JWTs; nothing to store."""

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib's hooks; the audit trail does not record token issuance."""

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: dict[str, Any], headers: list[tuple[str, str]]) -> TokenAnswer:
        return status, body, headers


def _client_id_of(request: Request, form: dict[str, str]) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return unquote(decoded.split(":", 1)[0])
    return form.get("client_id")


@post(
    "/oauth/token",
    tags=["authentication"],
    summary="Get an access token (client credentials)",
    status_code=200,
    response_description="A signed JWT access token with scope `verify`.",
    responses={**TOKEN_ERRORS, **problems(413, 429)},
    operation_class=reads_body(TokenRequest, FORM),
)
async def token(request: Request, api: NamedDependency[ApiContext]) -> Response[TokenResponse]:
    """Exchange client credentials for an access token."""
    address = request.client.host if request.client else "unknown"
    allowance = api.limiter.take(f"token:{address}", 1, TOKEN_REQUESTS_PER_MINUTE)
    limits.note(request.scope, "token", allowance)
    if not allowance.allowed:
        raise Refused(429, "too many token requests; try again later", headers={"Retry-After": str(allowance.retry_after)})
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    client_id = _client_id_of(request, form)
    client = None
    if client_id:
        async with reading(api.engine) as reader:
            record = (await load_clients(reader)).get(client_id) if len(client_id) <= 64 else None
        if record is not None and record.active:
            client = OAuthClient(record)
    # Authlib refuses plain http; TLS ends at the reverse proxy in front of the registry (docs/operations.md).
    oauth_request = FormTokenRequest(f"https://{request.url.netloc}/oauth/token", request.headers, form)
    server = TokenServer(api, api.public_url(request.scope))
    marker = _loaded_client.set(client)
    try:
        status, body, headers = cast(TokenAnswer, server.create_token_response(oauth_request))  # Authlib is untyped; see handle_response
    finally:
        _loaded_client.reset(marker)
    if status == 200:
        # After the answer is sent: the client does not wait for the staff list's "last used".
        noted = BackgroundTask(note_token_issued, api.engine, client.get_client_id()) if client else None
        return Response(TokenResponse(**body), status_code=200, headers={**dict(headers), **NO_STORE}, background=noted)
    return token_error(str(body.get("error", "invalid_request")), str(body.get("error_description") or ""))


def token_error(error: str, description: str) -> Response[Any]:
    """A refused token request as RFC 6749 §5.2 says: JSON, and invalid_client always 401 with one message."""
    if error == "invalid_client":
        return Response(TokenError("invalid_client", CLIENT_REFUSED), status_code=401, media_type="application/json",
                        headers={"WWW-Authenticate": 'Basic realm="smr-registry"', **NO_STORE})
    code = cast(OAuthError, error if error in get_args(OAuthError) else "invalid_request")
    return Response(TokenError(code, description or code.replace("_", " ")), status_code=400, media_type="application/json", headers=NO_STORE)


@get("/.well-known/jwks.json", tags=["authentication"], summary="Public keys for tokens and receipts", sync_to_thread=False)
def jwks(api: NamedDependency[ApiContext]) -> Response[KeySet]:
    """The registry's public signing keys (JWKS)."""
    return Response(msgspec.convert(api.keys.jwks(), KeySet), headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE}"})


@get("/.well-known/oauth-authorization-server", tags=["authentication"], summary="OAuth 2.0 metadata (RFC 8414)", sync_to_thread=False)
def metadata(request: Request, api: NamedDependency[ApiContext]) -> ServerMetadata:
    """Where to get tokens and keys, and what is supported."""
    base = api.public_url(request.scope)
    return ServerMetadata(
        issuer=base,
        token_endpoint=f"{base}/oauth/token",
        jwks_uri=f"{base}/.well-known/jwks.json",
        grant_types_supported=["client_credentials"],
        token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
        scopes_supported=[VERIFY_SCOPE],
        # RFC 8414 requires the member; with no authorization endpoint the only fitting value is "none".
        response_types_supported=["none"],
        service_documentation=f"{base}/schema",
    )


ROUTES = [token, jwks, metadata]
