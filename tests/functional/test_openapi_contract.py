"""The OpenAPI document is whole and valid, and the answers are exactly the schema types it was generated from."""

from __future__ import annotations

import json
from typing import Any, Iterator

import msgspec
from openapi_spec_validator import OpenAPIV31SpecValidator

from registry.schemas.history import ChangeFeed
from registry.schemas.public import CoachDetail, OrganisationDetail, ProgrammeDetail, TrainingDetail
from registry.schemas.search import CoachPage, ProgrammePage, TrainingPage
from registry.schemas.verification import VerificationRequest, VerificationResult
from registry.services.imports.plan import import_document
from tests.functional.api_client import ApiSession
from tests.functional.helpers import OPERATOR, encode

EXPECTED_SCHEMAS = {
    "VerificationRequest", "VerificationResult", "BatchRequest", "BatchResult", "BatchItemError", "TokenRequest", "TokenResponse",
    "Problem", "ProgrammeDetail", "CoachDetail", "TrainingDetail", "OrganisationDetail", "ChangeFeed", "ProgrammePage", "CoachPage",
    "TrainingPage", "KeySet", "ServerMetadata", "TokenError",
}
MACHINE_PREFIXES = ("/api/", "/oauth/", "/.well-known/")
REGISTER = {
    "organisations": [{"code": "O-1", "name": "Rookvrij Zeist", "agb_code": "01010101", "city": "Zeist"}],
    "trainings": [{"code": "T-1", "name": "SMR-coach", "organisation": "O-1", "guidance_types": ["intensive"], "formats": ["group"]}],
    "programmes": [{"code": "P-1", "name": "Samen Stoppen", "organisation": "O-1", "guidance_type": "intensive", "format": "group",
                    "sessions": 8, "contact_minutes": 300, "cities": ["Zeist"]}],
    "coaches": [{"registration_number": "C-1", "initials": "J.", "prefix": "de", "surname": "Vries", "agb_code": "00000042"}],
    "qualifications": [{"coach": "C-1", "training": "T-1", "completed_on": "2023-05-01"}],
    "decisions": [
        {"subject": "training", "code": "T-1", "kind": "grant", "valid_from": "2020-01-01", "reference": "T-G"},
        {"subject": "programme", "code": "P-1", "kind": "grant", "valid_from": "2024-02-01", "valid_until": "2025-01-31", "reference": "P-G"},
        {"subject": "programme", "code": "P-1", "kind": "suspend", "from": "2024-06-10", "reference": "P-S", "reason": "Audit."},
        {"subject": "programme", "code": "P-1", "kind": "lift", "date": "2024-07-01", "suspension": "P-S", "reference": "P-L"},
        {"subject": "programme", "code": "P-1", "kind": "revoke", "effective": "2024-11-01", "reference": "P-R", "reason": "Stopped."},
        {"subject": "coach", "code": "C-1", "kind": "grant", "valid_from": "2020-01-01", "reference": "C-G"},
        {"subject": "coach", "code": "C-1", "kind": "retract", "target": "C-G", "reference": "C-X"},
    ],
}


def references(node: Any) -> Iterator[str]:
    """Every $ref anywhere in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def resolve(document: dict[str, Any], pointer: str) -> Any:
    """What a local JSON pointer (#/a/b) points at; KeyError when nothing."""
    assert pointer.startswith("#/"), pointer
    node: Any = document
    for part in pointer[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


async def openapi(session: ApiSession) -> dict[str, Any]:
    response = await session.http.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


async def test_every_reference_resolves_and_the_payloads_are_components(session: ApiSession) -> None:
    document = await openapi(session)
    found = list(references(document))
    assert len(found) > 50
    for pointer in set(found):
        resolve(document, pointer)
    assert EXPECTED_SCHEMAS <= set(document["components"]["schemas"])


async def test_the_document_is_valid_openapi_3_1(session: ApiSession) -> None:
    document = await openapi(session)
    assert document["openapi"].startswith("3.1")
    OpenAPIV31SpecValidator(document).validate()


CSV_BATCH = "/api/v1/verifications/batch"


async def test_every_machine_answer_and_problem_is_a_component_schema(session: ApiSession) -> None:
    document = await openapi(session)
    for path, item in document["paths"].items():
        if not path.startswith(MACHINE_PREFIXES):
            continue
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status == "304":
                    continue
                contents = dict(response["content"])
                if path == CSV_BATCH and status == "200":  # the batch answers a CSV body in CSV
                    assert contents.pop("text/csv")["schema"]["type"] == "string"
                [(media_type, content)] = contents.items()
                # The token endpoint answers its refusals as RFC 6749 §5.2 says: application/json.
                oauth_error = path == "/oauth/token" and status in ("400", "401")
                expected = "application/problem+json" if status >= "400" and not oauth_error else "application/json"
                assert media_type == expected, (method, path, status)
                assert content["schema"]["$ref"].startswith("#/components/schemas/"), (method, path, status)
            if "requestBody" in operation:
                bodies = dict(operation["requestBody"]["content"])
                if path == CSV_BATCH:
                    assert bodies.pop("text/csv")["schema"]["type"] == "string"
                [content] = bodies.values()
                assert content["schema"]["$ref"].startswith("#/components/schemas/"), (method, path)


async def test_answers_are_exactly_their_schema_types(session: ApiSession) -> None:
    await import_document(session.engine, encode(REGISTER), OPERATOR)
    # Decoding an answer into its type and encoding it again gives the same bytes: same keys, nulls and order.
    answers = {
        "/api/v1/programmes/P-1": ProgrammeDetail, "/api/v1/coaches/C-1": CoachDetail, "/api/v1/trainings/T-1": TrainingDetail,
        "/api/v1/organisations/O-1": OrganisationDetail, "/api/v1/changes": ChangeFeed, "/api/v1/programmes": ProgrammePage,
        "/api/v1/coaches?page_size=1": CoachPage, "/api/v1/trainings": TrainingPage,
    }
    for path, schema in answers.items():
        body = (await session.http.get(path)).content
        assert msgspec.json.encode(msgspec.json.decode(body, type=schema)) == body, path
    kinds = [change["decision"]["kind"] for change in msgspec.json.decode((await session.http.get("/api/v1/changes")).content)["changes"]]
    assert set(kinds) == {"grant", "suspend", "lift", "revoke", "retract"}
    bearer = await session.bearer()
    for claim in ({"programme_code": "P-1", "coach_registration_number": "C-1", "service_date": "2024-06-15",
                   "as_known_at": "2026-06-01T12:00:00+02:00", "reference": "claim-1"},
                  {"programme_code": "P-404", "coach_agb_code": "00000042", "service_date": "2024-06-15", "service_end_date": "2024-07-15"}):
        body = (await session.http.post("/api/v1/verifications", json=claim, headers=bearer)).content
        assert msgspec.json.encode(msgspec.json.decode(body, type=VerificationResult)) == body


async def test_query_parameters_never_offer_null(session: ApiSession) -> None:
    # An address cannot carry null: a nullable enum crashes openapi-core and gives generated clients junk models.
    document = await openapi(session)
    checked = 0
    for path, item in document["paths"].items():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                text = json.dumps(parameter["schema"])
                assert '"null"' not in text and "null" not in parameter["schema"].get("enum", []), (path, parameter)
                assert "oneOf" not in parameter["schema"] and "type" in parameter["schema"], (path, parameter)
                checked += 1
    assert checked >= 15
    status = next(p for p in document["paths"]["/api/v1/programmes"]["get"]["parameters"] if p["name"] == "status")
    assert status["schema"]["type"] == "string" and "accredited" in status["schema"]["enum"]


async def test_times_are_date_times_and_unknowns_nullable(session: ApiSession) -> None:
    schemas = (await openapi(session))["components"]["schemas"]
    result = schemas["VerificationResult"]["properties"]
    assert result["checked_at"] == {"type": "string", "format": "date-time"}
    assert {"type": "string", "format": "date-time"} in result["as_known_at"]["oneOf"]
    assert {"type": "null"} in schemas["CoachOutcome"]["properties"]["qualified"]["oneOf"]
    assert {"type": "null"} in result["programme"]["oneOf"] and {"type": "null"} in result["coach"]["oneOf"]


async def test_every_operation_documents_the_server_problems(session: ApiSession) -> None:
    document = await openapi(session)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert {"500", "503"} <= set(operation["responses"]), (method, path)
            assert "Retry-After" in operation["responses"]["503"]["headers"], (method, path)
            if "422" in operation["responses"] or any(p["in"] == "query" for p in operation.get("parameters", [])):
                assert "422" in operation["responses"], (method, path)


async def test_the_hot_route_is_documented_from_the_same_structs(session: ApiSession) -> None:
    document = await openapi(session)
    operation = document["paths"]["/api/v1/verifications"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/VerificationRequest"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/VerificationResult"}
    expected = msgspec.json.schema_components([VerificationRequest], ref_template="#/components/schemas/{name}")[1]["VerificationRequest"]
    # The same schema msgspec gives for the Struct the handler decodes with (the document leaves out null defaults).
    for field in expected["properties"].values():
        if field.get("default", 0) is None:
            del field["default"]
    assert document["components"]["schemas"]["VerificationRequest"] == json.loads(msgspec.json.encode(expected))
