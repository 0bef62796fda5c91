"""RFC 9457 problem+json for every error the registry's HTTP side returns."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from registry.log_text import logged
from registry.outages import RETRY_AFTER_SECONDS, database_unavailable
from registry.schemas.problems import FieldProblem, Problem
from registry.services.errors import FieldError, NotFound, ValidationFailed

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPES = "https://smr-register.nl/problems/"
_ENCODER = msgspec.json.Encoder()


def problem_body(status: int, detail: str, kind: str | None = None, errors: list[FieldError] | None = None, **extensions: Any) -> Problem:
    """The problem document: type, title, status, detail, field errors when there are any, and the extension members given."""
    phrase = HTTPStatus(status).phrase
    return Problem(
        type=PROBLEM_TYPES + (kind or phrase.lower().replace(" ", "-").replace("'", "")),
        title=phrase,
        status=status,
        detail=detail,
        errors=[FieldProblem(error.field, error.message, error.code) for error in errors] if errors else msgspec.UNSET,
        **extensions,
    )


def problem(status: int, detail: str, kind: str | None = None, errors: list[FieldError] | None = None,
            headers: dict[str, str] | None = None, **extensions: Any) -> Response[bytes]:
    """A problem+json response."""
    body = _ENCODER.encode(problem_body(status, detail, kind, errors, **extensions))
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers or {})


class Refused(Exception):
    """A request the registry will not serve, as the problem to answer with; handlers raise it, the hot path sends it."""

    def __init__(self, status: int, detail: str, kind: str | None = None, headers: dict[str, str] | None = None, **extensions: Any):
        super().__init__(detail)
        self.status, self.detail, self.kind, self.headers, self.extensions = status, detail, kind, headers or {}, extensions

    def body(self) -> bytes:
        """The problem document, encoded."""
        return _ENCODER.encode(problem_body(self.status, self.detail, self.kind, **self.extensions))

    def response(self) -> Response[bytes]:
        """As a Litestar problem response."""
        return Response(self.body(), status_code=self.status, media_type=PROBLEM_JSON, headers=self.headers)


def handle_refused(request: Request, refused: Refused) -> Response[bytes]:
    """A refusal raised by a handler: 401, 403, 404, 429 and the like."""
    return refused.response()


def parameter_errors(exception: ValidationException) -> list[FieldError]:
    """The refused query and path parameters Litestar names, each as a field error."""
    found = exception.extra if isinstance(exception.extra, list) else []
    return [FieldError(str(item.get("key") or "$"), _parameter_message(str(item.get("message") or "")))
            for item in found if isinstance(item, dict)]


def _parameter_message(message: str) -> str:
    # msgspec's own words, except a pattern, which the OpenAPI document states more readably than a regex here.
    if "matching regex" in message:
        return "does not have the form the OpenAPI document gives for it"
    return message or "is not valid"


def handle_http_exception(request: Request, exception: HTTPException) -> Response[bytes]:
    """Litestar's own errors (404, 405, 413, malformed bodies) as problems; refused parameters as 422 naming each one."""
    if isinstance(exception, ValidationException) and (errors := parameter_errors(exception)):
        return problem(422, "the request has invalid parameters; nothing was done", "validation", errors)
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
    Refused: handle_refused,
    Exception: handle_server_error,
}
