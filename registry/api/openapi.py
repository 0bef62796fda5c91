"""OpenAPI documentation of the API routes, generated from the msgspec payloads in registry.schemas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType
from msgspec import Struct

from registry.schemas import Problem, component_schemas

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER = OpenAPIHeader(schema=Schema(type=OpenAPIType.INTEGER), description="Seconds until the next window opens.")

# Every status a protected API route can answer with besides its own successes.
PROBLEMS = {
    400: "The body is not JSON, or (token endpoint) the grant type or scope is not supported.",
    404: "No such record.",
    405: "Only POST is allowed here.",
    401: "No valid access token: missing, expired, forged, for another audience, or the client is disabled.",
    403: "The access token lacks the scope `verify`.",
    413: "The body is larger than 5 MB.",
    422: "Invalid fields; `errors` names each one (unknown fields included).",
    429: "The client's rate limit is used up; see Retry-After.",
}


def _reference(struct: type[Struct]) -> Reference:
    return Reference(ref=f"#/components/schemas/{struct.__name__}")


def _problem(description: str, status: int) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description,
        content={PROBLEM_JSON: OpenAPIMediaType(schema=_reference(Problem))},
        headers={"Retry-After": RETRY_AFTER} if status == 429 else None,
    )


def documented(
    body: type[Struct] | None,
    success: dict[int, tuple[type[Struct], str]],
    problems: tuple[int, ...],
    secured: bool = True,
    body_media_type: str = "application/json",
    bodiless: dict[int, str] | None = None,
) -> type[Operation]:
    """An Operation class that documents a route's JSON body and every response it can give."""

    @dataclass
    class DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            if body is not None:
                self.request_body = RequestBody(
                    content={body_media_type: OpenAPIMediaType(schema=_reference(body))}, required=True
                )
            responses: dict[str, Any] = {
                str(status): OpenAPIResponse(
                    description=description, content={"application/json": OpenAPIMediaType(schema=_reference(struct))}
                )
                for status, (struct, description) in success.items()
            }
            for status, description in (bodiless or {}).items():
                responses[str(status)] = OpenAPIResponse(description=description)
            for status in problems:
                responses[str(status)] = _problem(PROBLEMS.get(status, "See detail."), status)
            self.responses = responses
            if secured:
                self.security = [{"bearer": []}]

    return DocumentedOperation


def openapi_config(enabled: bool = True) -> OpenAPIConfig | None:
    """The OpenAPI document at /schema/openapi.json and a browsable page at /schema."""
    if not enabled:
        return None
    return OpenAPIConfig(
        title="SMR Accreditation Registry",
        version="1.0.0",
        description="Verification API for billing systems and the public read API. See docs/api.md.",
        path="/schema",
        render_plugins=[ScalarRenderPlugin()],
        components=Components(
            schemas=component_schemas(),  # type: ignore[arg-type]  # plain JSON Schema dicts pass through
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
            },
        ),
    )
