"""schemathesis against the live OpenAPI document: no 5xx, no undocumented status, no schema mismatch."""

from __future__ import annotations

from typing import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import fresh_database
from tests.support.server import RunningRegistry, running_registry

EXAMPLES = 20  # per operation and mode; schemathesis is one of the costliest files of the run
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def fuzzed_registry(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningRegistry, str]]:
    """A real server with demo data, and a bearer token for it."""
    directory = tmp_path_factory.mktemp("fuzz")
    with fresh_database(database_template, directory) as url:
        with running_registry(url, directory / "data", demo_coaches=40, REGISTRY_API_RATE_LIMIT_PER_MINUTE="100000000") as registry:
            yield registry, registry.token(registry.new_client("fuzz"))


@pytest.fixture(scope="module")
def api_schema(fuzzed_registry: tuple[RunningRegistry, str]):
    registry, _ = fuzzed_registry
    return schemathesis.openapi.from_url(f"{registry.base_url}/schema/openapi.json")


def operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_matches_its_openapi_document(api_schema, fuzzed_registry: tuple[RunningRegistry, str], mode: GenerationMode) -> None:
    registry, token = fuzzed_registry
    # Every operation of the document, generated data valid (positive) or invalid (negative) for it.
    # (schemathesis' own pytest loader does not run on pytest 9; hypothesis drives the cases directly.)
    tested = []
    auth = {"Authorization": f"Bearer {token}"}
    for operation in operations(api_schema):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def call(case) -> None:
            headers = auth if case.operation.path.startswith("/api/") else {}
            case.call_and_validate(base_url=registry.base_url, headers=headers, checks=CHECKS)

        try:
            call()
        except Unsatisfiable:
            # Nothing about this operation can be invalid (no parameters, no body): nothing to send.
            assert mode is GenerationMode.NEGATIVE
            continue
        tested.append(f"{operation.method.upper()} {operation.path}")
    assert {"POST /api/v1/verifications", "POST /api/v1/verifications/batch", "GET /api/v1/verifications/{verification_id}"} <= set(tested)
    if mode is GenerationMode.POSITIVE:
        assert {"POST /oauth/token", "GET /.well-known/jwks.json", "GET /health/live"} <= set(tested)
