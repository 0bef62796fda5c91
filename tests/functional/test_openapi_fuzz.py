"""schemathesis with every check against the live OpenAPI document: no 5xx, no undocumented status or header, no schema
mismatch, invalid data refused and valid data taken; a document it cannot fully read fails the run."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, is_check_class, load_all_checks
from schemathesis.config import SchemathesisConfig

from tests.conftest import fresh_database
from tests.support.server import RunningRegistry, running_registry

EXAMPLES = 20  # per operation and mode; schemathesis is one of the costliest files of the run
load_all_checks()
# Every check schemathesis has (the stateful ones among them look only at what a single run can show).
ALL_CHECKS = [check for check in CHECKS.get_all() if not is_check_class(check)]
CONFIG = SchemathesisConfig.from_dict({"operations": [{
    # A claim can be schema-valid and still refused on rules JSON Schema cannot state (exactly one coach field, the
    # period's end not before its start and at most 366 days, as_known_at not in the future), and an Idempotency-Key
    # generated twice for two bodies is 422 (or 409 while the first is answered): documented, not in a schema.
    "include-path": ["/api/v1/verifications", "/api/v1/verifications/batch",
                     # agb_code finds one record by itself: combined with other filters it is a documented 422.
                     "/api/v1/coaches", "/api/v1/organisations"],
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "409", "422", "429", "5xx"]}},
}]})


@pytest.fixture(scope="module")
def fuzzed_registry(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningRegistry, str]]:
    """A real server with demo data, and a bearer token for it."""
    directory = tmp_path_factory.mktemp("fuzz")
    with fresh_database(database_template, directory) as url:
        with running_registry(url, directory / "data", demo_coaches=40, REGISTRY_API_RATE_LIMIT_PER_MINUTE="100000000") as registry:
            yield registry, registry.token(registry.new_client("fuzz"))


@pytest.fixture(scope="module")
def live_document(fuzzed_registry: tuple[RunningRegistry, str]) -> dict[str, Any]:
    registry, _ = fuzzed_registry
    return requests.get(f"{registry.base_url}/schema/openapi.json", timeout=10).json()


def loaded(document: dict[str, Any]):
    """The document as schemathesis reads it; its own warnings (an unresolvable reference among them) fail the test.

    schemathesis only warns about such a reference and goes on without the body it names: the run would pass while
    testing nothing of it.
    """
    schema = schemathesis.openapi.from_dict(document, config=CONFIG)
    warnings = [f"{warning.kind.value}: {getattr(warning, 'operation_label', '')} {warning.message}" for warning in schema.iter_schema_warnings()]
    assert not warnings, warnings
    return schema


def operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]  # ok() raises on an operation schemathesis cannot read


def fuzz(operation, mode: GenerationMode, base_url: str, token: str) -> None:
    """Every check on EXAMPLES generated cases."""
    auth = {"Authorization": f"Bearer {token}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def call(case) -> None:
        headers = auth if case.operation.path.startswith("/api/") else {}
        case.call_and_validate(base_url=base_url, headers=headers, checks=ALL_CHECKS)

    call()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_matches_its_openapi_document(live_document: dict[str, Any], fuzzed_registry: tuple[RunningRegistry, str],
                                          mode: GenerationMode) -> None:
    registry, token = fuzzed_registry
    # Every operation of the document, generated data valid (positive) or invalid (negative) for it.
    # (schemathesis' own pytest loader does not run on pytest 9; hypothesis drives the cases directly.)
    tested = []
    for operation in operations(loaded(live_document)):
        try:
            fuzz(operation, mode, registry.base_url, token)
        except Unsatisfiable:
            # Nothing about this operation can be invalid (no parameters, no body): nothing to send.
            assert mode is GenerationMode.NEGATIVE
            continue
        tested.append(f"{operation.method.upper()} {operation.path}")
    assert {"POST /api/v1/verifications", "POST /api/v1/verifications/batch", "GET /api/v1/verifications/{verification_id}"} <= set(tested)
    if mode is GenerationMode.POSITIVE:
        assert {"POST /oauth/token", "GET /.well-known/jwks.json", "GET /health/live", "GET /api/v1/changes"} <= set(tested)


def test_an_unresolvable_reference_fails_the_run(live_document: dict[str, Any]) -> None:
    # What the document looked like when its components were empty: the run must stop, not warn and carry on.
    broken = {**live_document, "components": {**live_document["components"], "schemas": {
        name: schema for name, schema in live_document["components"]["schemas"].items() if name != "VerificationRequest"}}}
    with pytest.raises(AssertionError, match="unresolvable_reference: POST /api/v1/verifications.*VerificationRequest"):
        loaded(broken)
