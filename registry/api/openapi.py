"""The OpenAPI document: Litestar generates it from the handlers' schema types; this adds what it cannot see.

Litestar documents a request body only when it parses the body itself. The verification routes
and the token endpoint read theirs by hand (an invalid batch item is answered on its own, a
token error as RFC 6749 says), and POST /api/v1/verifications is a plain ASGI route that
Litestar leaves out of the document: their bodies' schemas are generated here from the same
Structs by msgspec.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any, get_type_hints

import msgspec
import msgspec.inspect
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition
from msgspec import Struct

from registry.api.problems import PROBLEM_JSON
from registry.api.schema_viewer import SwaggerViewer
from registry.schemas.oauth import TokenRequest
from registry.schemas.problems import Problem
from registry.schemas.verification import CODE_PATTERN, BatchRequest, VerificationRequest
from registry.services.values import BIDI_CONTROLS, CONTROL_CHARACTERS

FORM = "application/x-www-form-urlencoded"
BEARER = [{"bearer": []}]
# Bodies that handlers read themselves; their schemas join the components Litestar generated.
READ_BY_HAND = (VerificationRequest, BatchRequest, TokenRequest)
RETRY_AFTER = OpenAPIHeader(schema=Schema(type=OpenAPIType.INTEGER), description="Seconds until the next window opens.")

# What each problem status means on the API routes.
PROBLEMS = {
    400: "The body is not JSON, or the address holds a control character; on /oauth/token, a request RFC 6749 refuses.",
    401: "No valid access token: missing, expired, forged, for another audience, or the client is disabled.",
    403: "The access token lacks the scope `verify`.",
    404: "No such record.",
    405: "Only POST is allowed here.",
    409: "A request with the same Idempotency-Key is still being answered; see Retry-After.",
    413: "The body is larger than 5 MB.",
    422: "Invalid fields or query parameters; `errors` names each one (unknown fields included).",
    429: "The rate limit is used up; see Retry-After.",
    500: "The registry could not answer; the fault is logged on our side.",
    503: "The registry's database cannot be reached right now; see Retry-After.",
}
# Every operation can meet these, whatever its route says.
SERVER_PROBLEMS = (500, 503)
# What an address may hold (every other character is refused with 400 before any route), as an ECMAScript pattern.
ADDRESS_TEXT = "^[^" + "".join(c if c == "-" else f"\\u{ord(c):04x}" for c in f"\t\n\r{CONTROL_CHARACTERS}{BIDI_CONTROLS}") + "]*$"
# Path parameters naming a record by its code.
CODE_PARAMETERS = {"code", "registration_number"}
NOT_MODIFIED = {304: ResponseSpec(None, description="Not modified: your ETag is current.")}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """The problem+json answers a route can give besides its success."""
    return {
        status: ResponseSpec(Problem, description=PROBLEMS[status], media_type=PROBLEM_JSON, generate_examples=False)
        for status in statuses
    }


def reference(struct: type[Struct]) -> Reference:
    """A reference to a payload's schema among the components."""
    return Reference(ref=f"#/components/schemas/{struct.__name__}")


@dataclass
class ApiOperation(Operation):
    """An operation as Litestar generates it, with Retry-After on its 429."""

    def __post_init__(self) -> None:
        if self.responses and isinstance(limited := self.responses.get("429"), OpenAPIResponse):
            limited.headers = {**(limited.headers or {}), "Retry-After": RETRY_AFTER}


CSV_CLAIMS = OpenAPIMediaType(schema=Schema(
    type=OpenAPIType.STRING,
    description="UTF-8 CSV (a leading byte-order mark is allowed), `,` or `;` separated: a header row naming claim fields "
                "(as VerificationRequest), then one claim per row; an empty cell is an absent field. At most 10,000 rows.",
))
CSV_ANSWERS = OpenAPIMediaType(schema=Schema(
    type=OpenAPIType.STRING,
    description="The rows as sent, each followed by accredited, reasons (codes joined by |), programme_code, verification_id, "
                "receipt and error (only for a row invalid on its own), with the request's separator.",
))


def reads_body(struct: type[Struct], media_type: str = "application/json", csv: bool = False) -> type[Operation]:
    """The operation of a route that reads its body by hand: Litestar's, with the body documented (and a CSV form of it)."""
    if struct not in READ_BY_HAND:
        raise ValueError(f"{struct.__name__} must be listed in READ_BY_HAND for its schema to be in the document")

    @dataclass
    class BodyOperation(ApiOperation):
        def __post_init__(self) -> None:
            super().__post_init__()
            content = {media_type: OpenAPIMediaType(schema=reference(struct))}
            if csv:
                content["text/csv"] = CSV_CLAIMS
                answered = (self.responses or {}).get("200")
                if isinstance(answered, OpenAPIResponse) and answered.content is not None:
                    answered.content["text/csv"] = CSV_ANSWERS
            self.request_body = RequestBody(content=content, required=True)

    return BodyOperation


def add_hand_read_bodies(document: OpenAPI) -> None:
    """Add the schemas of the bodies read by hand to the generated components."""
    _, generated = msgspec.json.schema_components(READ_BY_HAND, ref_template="#/components/schemas/{name}")
    schemas = document.components.schemas
    for name, schema in generated.items():
        if name in schemas:
            raise ValueError(f"two payload types are both named {name}")
        schemas[name] = schema  # type: ignore[assignment]  # plain JSON Schema dicts are written out as they are


def complete(document: OpenAPI) -> None:
    """What every operation shares: query parameters as an address can carry them, and the server's own problems."""
    for item in (document.paths or {}).values():
        for operation in (item.get, item.post):
            if operation is None:
                continue
            for parameter in operation.parameters or []:
                if isinstance(parameter, Parameter):
                    parameter.allow_empty_value = None  # pyright: ignore[reportAttributeAccessIssue] - left out: OpenAPI 3.1 deprecates it
                    if isinstance(parameter.schema, Schema):
                        if parameter.param_in == "query":
                            _without_null(parameter.schema)
                        _address_text(parameter)
            responses = operation.responses = operation.responses or {}
            for status in SERVER_PROBLEMS:
                responses.setdefault(str(status), OpenAPIResponse(
                    description=PROBLEMS[status], content={PROBLEM_JSON: OpenAPIMediaType(schema=reference(Problem))},
                    headers={"Retry-After": RETRY_AFTER} if status == 503 else None,
                ))


def _address_text(parameter: Parameter) -> None:
    """A text parameter's pattern: a code's own, or any text without the characters every address is refused for."""
    schema = parameter.schema
    if isinstance(schema, Schema) and schema.type == OpenAPIType.STRING and schema.pattern is None and not schema.enum:
        schema.pattern = CODE_PATTERN if parameter.param_in == "path" and parameter.name in CODE_PARAMETERS else ADDRESS_TEXT


def _without_null(schema: Schema) -> None:
    """An absent query parameter is not sent at all: an address cannot carry null, so the schema does not offer it."""
    if isinstance(schema.type, (list, tuple)):
        kinds = [kind for kind in schema.type if kind != OpenAPIType.NULL]
        schema.type = kinds[0] if len(kinds) == 1 else kinds
    if schema.enum:
        schema.enum = [value for value in schema.enum if value is not None]
    if schema.one_of:
        kept = [option for option in schema.one_of if not (isinstance(option, Schema) and option.type == OpenAPIType.NULL)]
        schema.one_of = kept
        if len(kept) == 1 and isinstance(kept[0], Schema):
            # One choice left: its keywords join the parameter's own (maxLength, pattern, description).
            schema.one_of = None
            for field in dataclasses.fields(Schema):
                if getattr(schema, field.name) is None:
                    setattr(schema, field.name, getattr(kept[0], field.name))


class UntaggedUnionStructs(OpenAPISchemaPlugin):
    """Schemas of Structs holding a union of Structs without tags, such as a batch's results.

    msgspec encodes these but cannot inspect them, which Litestar's own Struct plugin does; this
    one reads their fields from the type hints instead.
    """

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return not field_definition.is_union and field_definition.is_subclass_of(Struct) and not _inspectable(field_definition.type_)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        hints = get_type_hints(field_definition.type_, include_extras=True)
        fields = msgspec.structs.fields(field_definition.type_)
        return schema_creator.create_component_schema(
            field_definition,
            required=sorted(field.encode_name for field in fields if field.required),
            property_fields={field.encode_name: FieldDefinition.from_annotation(hints[field.name], name=field.encode_name) for field in fields},
        )


@functools.cache
def _inspectable(struct: type[Struct]) -> bool:
    try:
        msgspec.inspect.type_info(struct)
    except TypeError:
        return False
    return True


SCHEMA_PLUGINS = [UntaggedUnionStructs()]


def openapi_config(enabled: bool = True) -> OpenAPIConfig | None:
    """The OpenAPI document at /schema/openapi.json and a browsable page at /schema."""
    if not enabled:
        return None
    return OpenAPIConfig(
        title="SMR Accreditation Registry",
        version="1.0.0",
        description="Verification API for billing systems and the public read API. The guide, with examples: [/api](/api).",
        path="/schema",
        render_plugins=[SwaggerViewer()],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
            },
        ),
    )
