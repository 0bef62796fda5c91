"""RFC 9457 problem+json for every error the registry's HTTP side returns."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException

from registry.log_text import logged
from registry.outages import RETRY_AFTER_SECONDS, database_unavailable
from registry.services.errors import FieldError, NotFound, ValidationFailed

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPES = "https://smr-register.nl/problems/"
_ENCODER = msgspec.json.Encoder()


def problem_body(status: int, detail: str, kind: str | None = None, errors: list[FieldError] | None = None, **extra: Any) -> dict[str, Any]:
    """The problem document: type, title, status, detail, and field errors when there are any."""
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": PROBLEM_TYPES + (kind or phrase.lower().replace(" ", "-").replace("'", "")),
        "title": phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [error.as_dict() for error in errors]
    body.update({key: value for key, value in extra.items() if value is not None})
    return body


def problem(status: int, detail: str, kind: str | None = None, errors: list[FieldError] | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> Response[bytes]:
    """A problem+json response."""
    body = _ENCODER.encode(problem_body(status, detail, kind, errors, **extra))
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers or {})


def handle_http_exception(request: Request, exception: HTTPException) -> Response[bytes]:
    """Litestar's own errors (404, 405, 413, malformed bodies) as problems."""
    status = exception.status_code
    detail = exception.detail or HTTPStatus(status).phrase
    if status == 413:
        detail = "the request body is larger than the registry accepts (5 MB)"
    headers = dict(exception.headers or {})
    return problem(status, str(detail), headers=headers)


def handle_validation_failed(request: Request, exception: ValidationFailed) -> Response[bytes]:
    """Refused input: 422 with every field's problem."""
    return problem(422, "the request has invalid fields; nothing was done", "validation", exception.errors)


def handle_not_found(request: Request, exception: NotFound) -> Response[bytes]:
    """A record that does not exist."""
    return problem(404, str(exception))


def server_error_status(request: Request, exception: Exception) -> int:
    """503 when the database is away (logged in one line), else 500 (logged in full)."""
    if database_unavailable(exception):
        log.warning("database unavailable on %s %s: %s", request.method, logged(request.url.path), exception)
        return 503
    log.exception("unhandled error on %s %s", request.method, logged(request.url.path), exc_info=exception)
    return 500


def handle_server_error(request: Request, exception: Exception) -> Response[bytes]:
    """Anything unexpected, answered without internals; a database outage as 503 with Retry-After."""
    if server_error_status(request, exception) == 503:
        return problem(503, "the registry's database cannot be reached right now; try again shortly", "unavailable", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return problem(500, "the registry could not answer this request; it has been logged")


EXCEPTION_HANDLERS = {
    HTTPException: handle_http_exception,
    ValidationFailed: handle_validation_failed,
    NotFound: handle_not_found,
    Exception: handle_server_error,
}
