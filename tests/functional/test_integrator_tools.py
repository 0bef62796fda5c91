"""Integrators' own tools against a real running registry: none of them was written here.

openapi-spec-validator and openapi-core (every request and answer checked against the live
document), openapi-python-client (a client generated from the live document, used without
edits), requests-oauthlib (a token by client credentials), PyJWT (a receipt checked with the key
found through the RFC 8414 metadata) and Authlib's metadata validation. The server runs without
REGISTRY_PUBLIC_URL, as `make run PORT=...` does: it names itself by the address it is asked at.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import jwt
import pytest
import requests
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from oauthlib.oauth2 import BackendApplicationClient
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_spec_validator import validate
from requests_oauthlib import OAuth2Session

from registry.services.verification.signing import LiveKeys
from tests.conftest import fresh_database
from tests.support.server import ROOT, RunningRegistry, free_port, running_registry, stop

# A batch over this many verifications is refused with 429 at once (and nothing else here comes near it).
RATE_LIMIT = 5000
PROBLEM_JSON = "application/problem+json"


class Integrator:
    """A running registry, its live OpenAPI document as openapi-core reads it, and one billing system's credentials."""

    def __init__(self, registry: RunningRegistry):
        self.registry = registry
        self.base_url = registry.base_url
        self.document = requests.get(f"{self.base_url}/schema/openapi.json", timeout=10).json()
        # openapi-core reads JSON only as application/json unless told (RFC 9457's media type is JSON too); and no
        # member the document does not name may appear, in a request or in an answer.
        self.openapi = OpenAPI.from_dict(self.document, config=Config(extra_media_type_deserializers={PROBLEM_JSON: json.loads},
                                                                      additional_properties_default_policy="forbid"))
        self.credentials = registry.new_client("Zorgverzekeraar Integratie")
        self.http = requests.Session()

    def send(self, method: str, path: str, valid_request: bool = True, **options: Any) -> requests.Response:
        """Send a request; openapi-core checks the answer (and the request, when it is meant to be valid) against the document."""
        response = self.http.request(method, f"{self.base_url}{path}", timeout=30, **options)
        request = RequestsOpenAPIRequest(response.request)
        if valid_request:
            self.openapi.validate_request(request)
        self.openapi.validate_response(request, RequestsOpenAPIResponse(response))
        return response

    def token(self) -> str:
        response = self.send("POST", "/oauth/token", data={"grant_type": "client_credentials"},
                             auth=(self.credentials["client_id"], self.credentials["client_secret"]))
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def first(self, path: str, key: str) -> str:
        """The code of the first record a public list gives."""
        return self.send("GET", path, params={"page_size": 1}).json()["items"][0][key]


@pytest.fixture(scope="module")
def integrator(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Integrator]:
    directory = tmp_path_factory.mktemp("integrators")
    with fresh_database(database_template, directory) as url:
        with running_registry(url, directory / "data", demo_coaches=40, REGISTRY_PUBLIC_URL="",
                              REGISTRY_API_RATE_LIMIT_PER_MINUTE=str(RATE_LIMIT)) as registry:
            yield Integrator(registry)


@pytest.fixture(scope="module")
def claim(integrator: Integrator) -> dict[str, str]:
    return {"programme_code": integrator.first("/api/v1/programmes", "code"),
            "coach_registration_number": integrator.first("/api/v1/coaches", "registration_number"),
            "service_date": "2026-03-14", "reference": "claim-88121"}


def test_the_live_document_passes_openapi_spec_validator(integrator: Integrator) -> None:
    validate(integrator.document)  # raises on the first fault; $refs into components included


def test_openapi_core_accepts_token_verification_and_read_back(integrator: Integrator, claim: dict[str, str]) -> None:
    bearer = integrator.bearer()
    single = integrator.send("POST", "/api/v1/verifications", json=claim, headers=bearer)
    assert single.status_code == 200 and single.json()["reference"] == "claim-88121"
    unknown = integrator.send("POST", "/api/v1/verifications", json={**claim, "programme_code": "P-999999"}, headers=bearer)
    assert unknown.json()["programme"] is None and unknown.json()["coach"]["qualified"] is None  # null, as documented
    batch = integrator.send("POST", "/api/v1/verifications/batch", headers=bearer, json={"items": [
        claim, {**claim, "service_end_date": "2026-05-01", "as_known_at": "2026-06-01T12:00:00+02:00"}, {"programme_code": "P-1"}]})
    assert batch.status_code == 200 and batch.json()["summary"]["invalid"] == 1
    stored = integrator.send("GET", f"/api/v1/verifications/{single.json()['verification_id']}", headers=bearer)
    assert stored.json() == single.json()


def test_openapi_core_accepts_the_public_api(integrator: Integrator) -> None:
    programme = integrator.first("/api/v1/programmes", "code")
    coach = integrator.first("/api/v1/coaches", "registration_number")
    training = integrator.first("/api/v1/trainings", "code")
    detail = integrator.send("GET", f"/api/v1/programmes/{programme}").json()
    for path in (f"/api/v1/programmes/{programme}", f"/api/v1/coaches/{coach}", f"/api/v1/trainings/{training}",
                 f"/api/v1/organisations/{detail['provider']['code']}", "/.well-known/jwks.json", "/.well-known/oauth-authorization-server",
                 "/health/live", "/health/ready"):
        assert integrator.send("GET", path).status_code == 200, path
    filtered = integrator.send("GET", "/api/v1/programmes", params={"status": "accredited", "guidance_type": "intensive",
                                                                    "format": "group", "mode": "video", "page_size": 5})
    assert filtered.status_code == 200
    assert integrator.send("GET", "/api/v1/coaches", params={"q": "de", "status": "suspended"}).status_code == 200
    page = integrator.send("GET", "/api/v1/changes", params={"limit": 3}).json()
    following = integrator.send("GET", "/api/v1/changes", params={"after": page["next_cursor"], "limit": 3}).json()
    assert following["changes"][0]["cursor"] != page["changes"][0]["cursor"]
    etag = integrator.send("GET", f"/api/v1/programmes/{programme}").headers["etag"]
    assert integrator.send("GET", f"/api/v1/programmes/{programme}", headers={"If-None-Match": etag}).status_code == 304


def test_openapi_core_accepts_every_refusal(integrator: Integrator, claim: dict[str, str]) -> None:
    bearer = integrator.bearer()
    keys = LiveKeys(Path(integrator.registry.env["REGISTRY_DATA_DIR"]) / "signing-keys.json")
    now = int(time.time())
    # A token the registry signed itself but without the scope `verify`: what a misconfigured client would hold.
    unscoped = keys.sign_compact(json.dumps({"iss": integrator.base_url, "aud": f"{integrator.base_url}/api/v1", "scope": "read",
                                             "client_id": integrator.credentials["client_id"], "iat": now, "nbf": now,
                                             "exp": now + 600}).encode())
    refusals = [
        (401, "POST", "/oauth/token", True, {"data": {"grant_type": "client_credentials"}, "auth": ("smr-nobody", "x")}),
        (401, "POST", "/oauth/token", True, {"data": {"grant_type": "client_credentials", "client_id": integrator.credentials["client_id"],
                                                       "client_secret": "wrong"}}),
        (400, "POST", "/oauth/token", False, {"data": {"grant_type": "password"}, "auth": ("smr-nobody", "x")}),
        (401, "POST", "/api/v1/verifications", False, {"json": claim}),  # no token: a request the document does not allow
        (401, "POST", "/api/v1/verifications/batch", True, {"json": {"items": [claim]}, "headers": {"Authorization": "Bearer forged"}}),
        (403, "POST", "/api/v1/verifications", True, {"json": claim, "headers": {"Authorization": f"Bearer {unscoped}"}}),
        (404, "GET", "/api/v1/verifications/018f0000-0000-7000-8000-000000000000", True, {"headers": bearer}),
        (404, "GET", "/api/v1/programmes/P-999999", True, {}),
        (404, "GET", "/api/v1/coaches/C-999999", True, {}),
        (413, "POST", "/api/v1/verifications/batch", False, {"data": b"[" + b" " * (6 * 1024 * 1024) + b"]",
                                                             "headers": {**bearer, "Content-Type": "application/json"}}),
        (413, "POST", "/api/v1/verifications", False, {"data": b" " * (6 * 1024 * 1024), "headers": {**bearer, "Content-Type": "application/json"}}),
        (422, "POST", "/api/v1/verifications", False, {"json": {**claim, "coach_agb_code": "1234", "patient": "x"}, "headers": bearer}),
        (422, "POST", "/api/v1/verifications/batch", False, {"json": {"items": []}, "headers": bearer}),
        (422, "GET", "/api/v1/programmes", False, {"params": {"status": "sleeping", "page_size": 0}}),
        (422, "GET", "/api/v1/changes", False, {"params": {"after": "0" * 64}}),
        (429, "POST", "/api/v1/verifications/batch", True, {"json": {"items": [claim] * (RATE_LIMIT + 1)}, "headers": bearer}),
    ]
    for status, method, path, valid_request, options in refusals:
        response = integrator.send(method, path, valid_request=valid_request, **options)
        assert response.status_code == status, (method, path, response.status_code, response.text[:300])
        if status == 422:
            assert response.json()["errors"], path
        if status == 429:
            assert int(response.headers["retry-after"]) > 0


def test_a_client_generated_from_the_live_document_works_without_edits(integrator: Integrator, claim: dict[str, str],
                                                                     tmp_path: Path) -> None:
    config = tmp_path / "generator.json"
    config.write_text(json.dumps({"post_hooks": [], "package_name_override": "smr_registry_client"}))
    generated = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--url", f"{integrator.base_url}/schema/openapi.json",
         "--meta", "none", "--output-path", str(tmp_path / "smr_registry_client"), "--config", str(config)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout and "Unable to" not in generated.stdout, generated.stdout  # nothing left out
    sys.path.insert(0, str(tmp_path))
    try:
        client_module = importlib.import_module("smr_registry_client")
        models = importlib.import_module("smr_registry_client.models")
        token_call = importlib.import_module("smr_registry_client.api.authentication.oauth_token_token")
        verify_call = importlib.import_module("smr_registry_client.api.verification.api_v1_verifications_verify_one")
        batch_call = importlib.import_module("smr_registry_client.api.verification.api_v1_verifications_batch_verify_batch")
        search_call = importlib.import_module("smr_registry_client.api.public.api_v1_programmes_programmes")

        anonymous = client_module.Client(base_url=integrator.base_url, raise_on_unexpected_status=True)
        token = token_call.sync(client=anonymous, body=models.TokenRequest(
            grant_type=models.TokenRequestGrantType.CLIENT_CREDENTIALS, client_id=integrator.credentials["client_id"],
            client_secret=integrator.credentials["client_secret"]))
        assert isinstance(token, models.TokenResponse)
        refused = token_call.sync(client=anonymous, body=models.TokenRequest(
            grant_type=models.TokenRequestGrantType.CLIENT_CREDENTIALS, client_id="smr-nobody", client_secret="x"))
        assert isinstance(refused, models.TokenError) and refused.error.value == "invalid_client"

        client = client_module.AuthenticatedClient(base_url=integrator.base_url, token=token.access_token, raise_on_unexpected_status=True)
        request = models.VerificationRequest(programme_code=claim["programme_code"], coach_registration_number=claim["coach_registration_number"],
                                             service_date=dt.date(2026, 3, 14), reference="generated-client")
        answer = verify_call.sync(client=client, body=request)
        assert isinstance(answer, models.VerificationResult) and isinstance(answer.accredited, bool)
        assert answer.reference == "generated-client" and isinstance(answer.checked_at, dt.datetime) and answer.receipt
        unknown = verify_call.sync(client=client, body=models.VerificationRequest(
            programme_code="P-999999", coach_registration_number=claim["coach_registration_number"], service_date=dt.date(2026, 3, 14)))
        assert isinstance(unknown, models.VerificationResult) and unknown.programme is None and unknown.coach.qualified is None

        batch = batch_call.sync(client=client, body=models.BatchRequest(items=[request, {"programme_code": "P-1"}]))
        assert isinstance(batch, models.BatchResult) and batch.summary.invalid == 1
        assert isinstance(batch.results[0], models.VerificationResult) and isinstance(batch.results[1], models.BatchItemError)

        page = search_call.sync(client=anonymous, status=models.ApiV1ProgrammesProgrammesStatus.ACCREDITED, page_size=3)
        assert isinstance(page, models.ProgrammePage) and all(item.status.value == "accredited" for item in page.items)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.startswith("smr_registry_client")]:
            del sys.modules[name]


def test_requests_oauthlib_gets_a_token_and_pyjwt_checks_a_receipt_by_the_metadata(integrator: Integrator, claim: dict[str, str],
                                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    metadata = requests.get(f"{integrator.base_url}/.well-known/oauth-authorization-server", timeout=10).json()
    AuthorizationServerMetadata(metadata).validate()
    assert metadata["issuer"] == integrator.base_url  # the address it was asked at: no REGISTRY_PUBLIC_URL here
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback; production is behind TLS
    client_id = integrator.credentials["client_id"]
    session = OAuth2Session(client=BackendApplicationClient(client_id=client_id))
    token = session.fetch_token(token_url=metadata["token_endpoint"], client_id=client_id,
                                client_secret=integrator.credentials["client_secret"])
    assert token["token_type"] == "Bearer" and token["scope"] == ["verify"]
    answer = session.post(f"{integrator.base_url}/api/v1/verifications", json=claim, timeout=10)
    assert answer.status_code == 200, answer.text

    keys = jwt.PyJWKClient(metadata["jwks_uri"])
    receipt = answer.json()["receipt"]
    signed = jwt.decode(receipt, keys.get_signing_key_from_jwt(receipt).key, algorithms=["ES256"], issuer=metadata["issuer"],
                        options={"require": ["iss"]})
    assert signed["verification_id"] == answer.json()["verification_id"] and signed["accredited"] == answer.json()["accredited"]
    assert signed["client_id"] == client_id and signed["request"]["programme_code"] == claim["programme_code"]
    access = jwt.decode(token["access_token"], keys.get_signing_key_from_jwt(token["access_token"]).key, algorithms=["ES256"],
                        issuer=metadata["issuer"], audience=f"{metadata['issuer']}/api/v1")
    assert access["client_id"] == client_id
    with pytest.raises(jwt.InvalidSignatureError):
        header, payload, signature = receipt.split(".")
        forged = payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB")
        jwt.decode(f"{header}.{forged}.{signature}", keys.get_signing_key_from_jwt(receipt).key, algorithms=["ES256"],
                   options={"verify_iss": False})


def test_serve_warns_when_the_public_url_names_another_port(integrator: Integrator) -> None:
    port = free_port()
    env = {**integrator.registry.env, "REGISTRY_PUBLIC_URL": "http://127.0.0.1:1"}
    process = subprocess.Popen([sys.executable, "-m", "registry.cli", "serve", "--port", str(port)], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        expected = f"warning: REGISTRY_PUBLIC_URL is http://127.0.0.1:1 but this server listens on 127.0.0.1:{port}"
        said = []
        while len(said) < 20 and (line := process.stderr.readline()):  # said before uvicorn starts; stop at the warning
            said.append(line)
            if line.startswith(expected):
                break
        assert said and said[-1].startswith(expected), said
    finally:
        stop(process, timeout=20)
