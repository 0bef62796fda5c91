"""POST /api/v1/verifications, POST /api/v1/verifications/batch, GET /api/v1/verifications/{id}."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any, Callable

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath
from msgspec import UNSET

from registry.api import csv_batch, idempotency, limits
from registry.api.context import ApiContext
from registry.api.openapi import BEARER, ApiOperation, problems, reads_body
from registry.api.problems import Refused, problem_body
from registry.schemas.verification import (
    BatchItemError,
    BatchRequest,
    BatchResult,
    BatchSummary,
    Receipt,
    VerificationRequest,
    VerificationResult,
)
from registry.services.errors import FieldError, ValidationFailed
from registry.services.staff.clients import ClientRecord
from registry.services.verification.answer import answer, parse_claim, stored_row, uuid7
from registry.services.verification.idempotency import Claimed, Replay
from registry.services.verification.snapshot import Snapshot
from registry.services.verification.store import stored_result
from registry.services.verification.tokens import InvalidToken

MAX_BATCH_ITEMS = 10_000
# The name of the per-client limit in the RateLimit headers.
POLICY = "verifications"
BATCH_PATH = "/api/v1/verifications/batch"
# A batch hands receipts to the signing thread, and yields to other requests, every this many items.
SIGNING_CHUNK = 500
_JSON = msgspec.json.Encoder()
_DECODE = msgspec.json.Decoder()


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated client and the snapshot its request is answered from."""

    client: ClientRecord
    snapshot: Snapshot
    issuer: str


def _unauthorised(detail: str, error: str) -> Refused:
    return Refused(401, detail, "unauthorised", {"WWW-Authenticate": f'Bearer realm="smr-registry", error="{error}"'})


async def authenticate_header(api: ApiContext, header: str, scope: Any) -> Caller | Refused:
    """The client behind an Authorization header with a token issued at the registry's base URL for this request, or why
    it is refused (401/403); its standing noted in `scope` for the headers."""
    issuer = api.public_url(scope)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return _unauthorised("send an access token: Authorization: Bearer <token> (see POST /oauth/token)", "invalid_request")
    try:
        claims = api.tokens.check(token.strip(), issuer, scope="")
    except InvalidToken as refused:
        return _unauthorised(str(refused), "invalid_token")
    if "verify" not in claims.scopes:
        return Refused(403, "the access token lacks the scope 'verify'", "insufficient-scope",
                       {"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="verify"'})
    snapshot = await api.index.current()
    client = snapshot.clients.get(claims.client_id)
    if client is None:
        # A client registered a moment ago on another instance: look once rather than wait for the poll.
        await api.index.catch_up()
        snapshot = api.index.snapshot
        client = snapshot.clients.get(claims.client_id)
    if client is None or not client.active:
        return _unauthorised("the client of this access token is disabled", "invalid_token")
    limits.note(scope, POLICY, api.limiter.peek(_bucket(client), api.settings.api_rate_limit_per_minute))
    return Caller(client, snapshot, issuer)


async def authenticate(request: Request, api: ApiContext) -> Caller:
    """The client behind the bearer token; raises Refused (401, 403) otherwise."""
    caller = await authenticate_header(api, request.headers.get("authorization", ""), request.scope)
    if isinstance(caller, Refused):
        raise caller
    return caller


def _bucket(client: ClientRecord) -> str:
    return f"client:{client.client_id}"


def rate_refusal(api: ApiContext, client: ClientRecord, cost: int, scope: Any = None) -> Refused | None:
    """A 429 when the client's allowance for this minute cannot cover `cost` verifications; the standing noted in `scope`."""
    allowance = api.limiter.take(_bucket(client), cost, api.settings.api_rate_limit_per_minute)
    if scope is not None:
        limits.note(scope, POLICY, allowance)
    if allowance.allowed:
        return None
    return Refused(
        429,
        f"rate limit of {allowance.limit} verifications a minute reached ({allowance.remaining} left in this minute)",
        "rate-limited",
        {"Retry-After": str(allowance.retry_after)},
    )


def charge(api: ApiContext, client: ClientRecord, cost: int, scope: Any = None) -> None:
    """Take `cost` verifications from the client's allowance; raises Refused (429) when it cannot cover them."""
    if (refused := rate_refusal(api, client, cost, scope)) is not None:
        raise refused


async def _json_body(request: Request) -> Any:
    body = await request.body()
    try:
        return _DECODE.decode(body)
    except msgspec.DecodeError as error:
        raise _bad_json(str(error)) from None
    except UnicodeDecodeError:
        raise _bad_json("it is not UTF-8") from None
    except RecursionError:  # nesting deeper than the decoder goes; a batch is three levels deep
        raise _bad_json("it is nested too deeply") from None


def _bad_json(reason: str) -> Refused:
    return Refused(400, f"the body is not valid JSON: {reason}", "malformed-json")


def receipt_payload(api: ApiContext, document: VerificationResult, claim: VerificationRequest, client: ClientRecord, issuer: str) -> bytes:
    """What a receipt signs: the request, the verdict, when, from which data, for whom, and who says so."""
    return _JSON.encode(
        Receipt(
            iss=issuer,
            iat=int(document.checked_at.timestamp()),
            verification_id=document.verification_id,
            request=claim,
            accredited=document.accredited,
            reasons=[reason.code for reason in document.reasons],
            checked_at=document.checked_at,
            data_version=document.data_version,
            client_id=client.client_id,
            **_matched(document),
        )
    )


def _matched(document: VerificationResult) -> dict[str, str | None]:
    """For a claim by provider AGB code: the organisation it named and the programme it matched (nothing for one by programme code)."""
    if document.provider is UNSET:
        return {}
    return {"provider": document.provider.code if document.provider else None,
            "programme": document.programme.code if document.programme else None}


NO_STORE = CacheControlHeader(no_store=True)


@post(
    BATCH_PATH,
    tags=["verification"],
    summary="Verify up to 10,000 claims",
    status_code=200,
    cache_control=NO_STORE,
    security=BEARER,
    responses={200: ResponseSpec(BatchResult, description="One result or item error per item, in order, with a summary "
                                 "(as CSV for a CSV body).", generate_examples=False),
               **problems(400, 401, 403, 409, 413, 422, 429)},
    operation_class=reads_body(BatchRequest, csv=True),
)
async def verify_batch(request: Request, api: NamedDependency[ApiContext]) -> Response[bytes]:
    """Every claim in the batch answered on its own; invalid items get their own error. A CSV body gets a CSV answer."""
    caller = await authenticate(request, api)
    key = idempotency.read_key(request.headers.get(idempotency.HEADER))
    encode: BatchEncoder
    if csv_batch.is_csv(request.headers.get("content-type", "")):
        body = await request.body()
        read = csv_batch.read_claims(body, MAX_BATCH_ITEMS)
        # A JSON batch always has "items", so this stand-in for the file's bytes never equals a JSON body.
        items, fingerprint, encode = read.claims, {"text/csv": hashlib.sha256(body).hexdigest()}, read.answer_file
    else:
        raw = await _json_body(request)
        items, fingerprint, encode = _batch_items(raw), raw, _json_answer
    if key is None:
        charge(api, caller.client, len(items), request.scope)
        return _answer(*await _verify_items(api, caller, items, encode))
    outcome = await api.idempotency.claim(caller.client.id, key, idempotency.request_hash(BATCH_PATH, fingerprint))
    if isinstance(outcome, Replay):
        return Response(outcome.body, status_code=outcome.status, media_type=outcome.content_type, headers={idempotency.REPLAYED: "true"})
    if not isinstance(outcome, Claimed):
        raise idempotency.refusal(outcome)
    try:
        charge(api, caller.client, len(items), request.scope)
        result = await _verify_items(api, caller, items, encode, outcome)
    except BaseException:
        await api.idempotency.release(outcome)
        raise
    api.idempotency.answered(outcome)
    return _answer(*result)


def _answer(body: bytes, media_type: str) -> Response[bytes]:
    return Response(body, media_type=media_type)


# What a batch's answer is made of: the results in order, the summary, and each answer's own JSON by id().
BatchEncoder = Callable[[list[VerificationResult | BatchItemError], BatchSummary, dict[int, bytes]], tuple[bytes, str]]


def _json_answer(results: list[VerificationResult | BatchItemError], summary: BatchSummary, encoded: dict[int, bytes]) -> tuple[bytes, str]:
    """The batch's JSON answer, as BatchResult encodes it, joined from the answers' own bytes."""
    parts = [encoded[id(item)] if isinstance(item, VerificationResult) else _JSON.encode(item) for item in results]
    return b'{"results":[' + b",".join(parts) + b'],"summary":' + _JSON.encode(summary) + b"}", "application/json"


async def _verify_items(
    api: ApiContext, caller: Caller, items: list[Any], encode: BatchEncoder, claimed: Claimed | None = None
) -> tuple[bytes, str]:
    """The batch's answer, encoded (JSON or CSV), once it is stored (under the idempotency key when one was claimed)."""
    checked_at = dt.datetime.now(dt.timezone.utc)
    results: list[VerificationResult | BatchItemError] = []
    answered: list[tuple[VerificationResult, VerificationRequest]] = []
    signing: list[asyncio.Future[list[str]]] = []
    accredited = invalid = 0
    chunk_start = 0
    for index, item in enumerate(items):
        try:
            claim = parse_claim(item, now=checked_at)
        except ValidationFailed as failure:
            invalid += 1
            results.append(BatchItemError(index, problem_body(422, "this item has invalid fields", "validation", failure.errors)))
        else:
            document = answer(claim, caller.snapshot, checked_at, uuid7())
            accredited += document.accredited
            results.append(document)
            answered.append((document, claim))
        if len(answered) - chunk_start >= SIGNING_CHUNK or index == len(items) - 1:
            payloads = [receipt_payload(api, document, claim, caller.client, caller.issuer) for document, claim in answered[chunk_start:]]
            # Signed on the signing thread while the next items are judged.
            signing.append(api.receipts.sign_many(payloads))
            chunk_start = len(answered)
            await asyncio.sleep(0)  # let other requests in between chunks
    receipts = [receipt for chunk in await asyncio.gather(*signing) for receipt in chunk]
    for (document, _), signed in zip(answered, receipts, strict=True):
        document.receipt = signed
    # Each answer is encoded once, for its stored row and for the batch's answer (as BatchResult encodes it).
    encoded = {id(document): _JSON.encode(document) for document, _ in answered}
    summary = BatchSummary(accredited=accredited, rejected=len(answered) - accredited, invalid=invalid)
    body, media_type = encode(results, summary, encoded)
    completion = claimed.completion(200, media_type, body) if claimed else None
    rows = [stored_row(document, claim, caller.client.id, checked_at, encoded[id(document)]) for document, claim in answered]
    await api.store.store(rows, completion)
    return body, media_type


def _batch_items(raw: Any) -> list[Any]:
    if not isinstance(raw, dict):
        raise ValidationFailed([FieldError("$", "must be a JSON object with an `items` array")])
    unknown = [FieldError(name, "unknown field", "unknown_field") for name in raw if name != "items"]
    items = raw.get("items")
    if not isinstance(items, list):
        raise ValidationFailed([*unknown, FieldError("items", "is required: an array of 1 to 10,000 claims", "required")])
    if not 1 <= len(items) <= MAX_BATCH_ITEMS:
        raise ValidationFailed([*unknown, FieldError("items", f"must hold 1 to {MAX_BATCH_ITEMS:,} claims, not {len(items):,}")])
    if unknown:
        raise ValidationFailed(unknown)
    return items


@get(
    "/api/v1/verifications/{verification_id:str}",
    tags=["verification"],
    summary="Read back a stored verification",
    security=BEARER,
    # The stored answer is given back as it was sent, byte for byte: its schema is that of the answer.
    responses={200: ResponseSpec(VerificationResult, description="The answer as it was given, receipt included.", generate_examples=False),
               **problems(400, 401, 403, 404, 429)},
    operation_class=ApiOperation,
)
async def read_verification(verification_id: FromPath[str], request: Request, api: NamedDependency[ApiContext]) -> Response[bytes]:
    """A verification this client made; another client's is reported as not found."""
    caller = await authenticate(request, api)
    charge(api, caller.client, 1, request.scope)
    result = await stored_result(api.engine, verification_id, caller.client.id)
    if result is None:
        raise Refused(404, f"no verification {verification_id} made by this client")
    body = result.encode() if isinstance(result, str) else _JSON.encode(result)
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


ROUTES = [verify_batch, read_verification]
