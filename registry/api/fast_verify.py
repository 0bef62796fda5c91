"""POST /api/v1/verifications as a plain ASGI handler: the billing systems' hot path.

Litestar's per-request machinery (request object, signature model, dependency injection,
response object) costs about as much as the whole verification. This handler reads the body and
the one header it needs straight from the ASGI messages and writes the answer itself; it shares
authentication, rate limits, rules, receipts and storage with the other routes. Errors are the
same problem+json; the security headers come from the middleware around the whole app.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import asgi
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, OpenAPIResponse, Operation, Parameter, PathItem, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.types import Receive, Scope, Send

from registry.api import idempotency
from registry.api.context import ApiContext
from registry.api.openapi import BEARER, PROBLEMS, RETRY_AFTER, add_hand_read_bodies, reference
from registry.api.problems import PROBLEM_JSON, Refused, problem_body
from registry.api.verifications import BATCH_PATH, Caller, authenticate_header, rate_refusal, receipt_payload
from registry.schemas.problems import Problem
from registry.schemas.verification import VerificationRequest, VerificationResult
from registry.services.errors import ValidationFailed
from registry.services.verification.answer import answer, parse_claim, stored_row, uuid7
from registry.services.verification.idempotency import Claimed, Replay

PATH = "/api/v1/verifications"
_JSON = msgspec.json.Encoder()
_DECODE = msgspec.json.Decoder()


class _TooLarge(Exception):
    pass


async def _send(send: Send, status: int, body: bytes, media_type: str, headers: dict[str, str] | None = None) -> None:
    raw = [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]
    raw.extend((name.lower().encode(), value.encode()) for name, value in (headers or {}).items())
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _send_problem(send: Send, status: int, detail: str, kind: str | None = None, headers: dict[str, str] | None = None,
                        errors: Any = None) -> None:
    await _send(send, status, _JSON.encode(problem_body(status, detail, kind, errors)), PROBLEM_JSON, headers)


async def _refuse(send: Send, refused: Refused) -> None:
    await _send(send, refused.status, refused.body(), PROBLEM_JSON, refused.headers)


async def _body(receive: Receive, limit: int) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _headers(scope: Scope) -> tuple[str, str | None]:
    """The Authorization header ("" when absent) and the Idempotency-Key header (None when absent)."""
    authorization, key = "", None
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"idempotency-key":
            key = value.decode("latin-1")
    return authorization, key


@asgi(PATH, copy_scope=False)
async def verify_one(scope: Scope, receive: Receive, send: Send) -> None:
    """Was programme P, delivered by coach C, accredited on the date or over the period?"""
    method = scope.get("method")
    if method != "POST":
        await _send_problem(send, 405, f"{method} is not allowed here; use POST", headers={"Allow": "POST"})
        return
    api: ApiContext = scope["app"].state.api
    authorization, key_header = _headers(scope)
    caller = await authenticate_header(api, authorization, scope)
    if isinstance(caller, Refused):
        await _refuse(send, caller)
        return
    try:
        key = idempotency.read_key(key_header)
    except Refused as refused:
        await _refuse(send, refused)
        return
    if key is None and (refused := rate_refusal(api, caller.client, 1, scope)) is not None:
        await _refuse(send, refused)
        return
    try:
        body = await _body(receive, api.settings.max_body_bytes)
    except _TooLarge:
        await _send_problem(send, 413, "the request body is larger than the registry accepts (5 MB)")
        return
    if body is None:
        return
    try:
        raw = _DECODE.decode(body)
    except msgspec.DecodeError as error:
        await _send_problem(send, 400, f"the body is not valid JSON: {error}", "malformed-json")
        return
    except UnicodeDecodeError:
        await _send_problem(send, 400, "the body is not valid JSON: it is not UTF-8", "malformed-json")
        return
    except RecursionError:  # msgspec refuses nesting deeper than it can decode; a claim is two levels deep
        await _send_problem(send, 400, "the body is not valid JSON: it is nested too deeply", "malformed-json")
        return
    try:
        claim = parse_claim(raw)
    except ValidationFailed as failure:
        await _send_problem(send, 422, "the request has invalid fields; nothing was done", "validation", errors=failure.errors)
        return
    if key is not None:
        await _verify_with_key(scope, send, api, caller, claim, key, raw)
        return
    document = await _answer(api, caller, claim)
    body = _JSON.encode(document)
    await api.store.store([stored_row(document, claim, caller.client.id, document.checked_at, body)])
    await _send(send, 200, body, "application/json")


async def _answer(api: ApiContext, caller: Caller, claim: VerificationRequest) -> VerificationResult:
    document = answer(claim, caller.snapshot, dt.datetime.now(dt.timezone.utc), uuid7())
    document.receipt = await api.receipts.sign(receipt_payload(api, document, claim, caller.client, caller.issuer))
    return document


async def _verify_with_key(scope: Scope, send: Send, api: ApiContext, caller: Caller, claim: VerificationRequest, key: str, raw: Any) -> None:
    """Answer once per key: the first request answers and keeps its answer under the key, a retry gets it again."""
    outcome = await api.idempotency.claim(caller.client.id, key, idempotency.request_hash(PATH, raw))
    if isinstance(outcome, Replay):
        await _send(send, outcome.status, outcome.body, outcome.content_type, {idempotency.REPLAYED: "true"})
        return
    if not isinstance(outcome, Claimed):
        await _refuse(send, idempotency.refusal(outcome))
        return
    try:
        if (refused := rate_refusal(api, caller.client, 1, scope)) is not None:
            await api.idempotency.release(outcome)
            await _refuse(send, refused)
            return
        document = await _answer(api, caller, claim)
        body = _JSON.encode(document)
        await api.store.store([stored_row(document, claim, caller.client.id, document.checked_at, body)], outcome.completion(200, "application/json", body))
    except BaseException:
        await api.idempotency.release(outcome)
        raise
    api.idempotency.answered(outcome)
    await _send(send, 200, body, "application/json")


IDEMPOTENCY_KEY = Parameter(
    name="Idempotency-Key", param_in="header", required=False,
    schema=Schema(type=OpenAPIType.STRING, min_length=1, max_length=64, pattern="^[\\x21-\\x7e]+$"),
    description="Send the same key with a retry of the same request (within 24 hours) to get the first answer again "
                "instead of a second verification; the same key with another request is 422.",
)


def document_in(document: OpenAPI) -> None:
    """Add this route, which Litestar leaves out of its document, the bodies read by hand, and the Idempotency-Key header."""
    add_hand_read_bodies(document)
    batch = (document.paths or {}).get(BATCH_PATH)
    if batch is not None and batch.post is not None:
        batch.post.parameters = [*(batch.post.parameters or []), IDEMPOTENCY_KEY]
    problems = {
        str(status): OpenAPIResponse(
            description=PROBLEMS[status], content={PROBLEM_JSON: OpenAPIMediaType(schema=reference(Problem))},
            headers={"Retry-After": RETRY_AFTER} if status == 429 else None,
        )
        for status in (400, 401, 403, 405, 409, 413, 422, 429)
    }
    answer_json = {"application/json": OpenAPIMediaType(schema=reference(VerificationResult))}
    document.paths = document.paths or {}
    document.paths[PATH] = PathItem(post=Operation(
        tags=["verification"],
        summary="Verify one claim",
        description="Was programme P, delivered by coach C, accredited on the date or over the period?",
        operation_id="ApiV1VerificationsVerifyOne",
        parameters=[IDEMPOTENCY_KEY],
        request_body=RequestBody(content={"application/json": OpenAPIMediaType(schema=reference(VerificationRequest))}, required=True),
        responses={"200": OpenAPIResponse(description="The verdict, stored, with a signed receipt.", content=answer_json), **problems},
        security=BEARER,
    ))
