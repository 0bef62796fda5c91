"""GET /open-data/registry.json, /open-data/{programmes,coaches,trainings}.csv (files from one snapshot) and the audit anchor."""

from __future__ import annotations

import json
from pathlib import Path

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.response import File

from registry.api import limits
from registry.api.compression import etag_matches
from registry.api.context import ApiContext
from registry.api.problems import problem
from registry.services.public import open_data
from registry.services.public.read import today


async def current_files(api: ApiContext, issuer: str) -> tuple[Path, dict]:
    """The open-data directory, regenerated first when the register or the date has moved on (the anchor named by `issuer`)."""
    directory = api.settings.data_dir / "open-data"
    assert api.open_data_lock is not None, "the app has not started"
    async with api.open_data_lock:
        # Any write to the register counts, not only decisions: the index follows the audit trail
        # (this instance's writes and other instances'), so asking it costs no query.
        register_version = (await api.index.current()).register_version
        manifest_path = directory / "manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        if manifest.get("register_version") != register_version or manifest.get("status_on") != today().isoformat():
            await open_data.export(api.engine, directory, anchor_signer=(issuer, api.keys.sign_compact))
            manifest = json.loads(manifest_path.read_text())
    return directory, manifest


def _refused(request: Request, api: ApiContext) -> Response | None:
    """A 429 when this address has used its public allowance for the minute."""
    address = request.client.host if request.client else "unknown"
    allowance = api.limiter.take(f"public:{address}", 1, api.settings.public_rate_limit_per_minute)
    limits.note(request.scope, "public", allowance)
    if allowance.allowed:
        return None
    return problem(429, "too many requests from this address; try again later", "rate-limited",
                   headers={"Retry-After": str(allowance.retry_after)})


async def _serve(request: Request, api: ApiContext, name: str, media_type: str) -> Response | File:
    refused = _refused(request, api)
    if refused is not None:
        return refused
    directory, manifest = await current_files(api, api.public_url(request.scope))
    etag = f'"{manifest["register_version"]}-{manifest["status_on"]}-{manifest["generated_at"]}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300", "X-Data-Version": str(manifest["data_version"])}
    if etag_matches(etag, request.headers.get("if-none-match", "")):
        return Response(b"", status_code=304, headers=headers)
    return File(directory / name, filename=name, media_type=media_type, headers=headers, content_disposition_type="inline")


@get("/open-data/registry.json", tags=["open data"], summary="The whole public register as JSON", include_in_schema=False)
async def registry_json(request: Request, api: NamedDependency[ApiContext]) -> Response | File:
    """Organisations, trainings, programmes, coaches, qualifications and every decision."""
    return await _serve(request, api, "registry.json", "application/json")


CSV_KINDS = ("programmes", "coaches", "trainings")


@get([f"/open-data/{kind}.csv" for kind in CSV_KINDS], tags=["open data"], summary="One subject kind as CSV", include_in_schema=False)
async def subject_csv(request: Request, api: NamedDependency[ApiContext]) -> Response | File:
    """Programmes, coaches or trainings with their status today and current grant."""
    name = request.url.path.rsplit("/", 1)[-1]
    return await _serve(request, api, name, "text/csv")


@get("/open-data/audit-anchor.json", tags=["open data"], summary="The audit chain's signed anchor", include_in_schema=False)
async def audit_anchor(request: Request, api: NamedDependency[ApiContext]) -> Response:
    """The audit chain's event count and latest hash, signed (compact JWS in `anchor`, checkable with the JWKS)."""
    refused = _refused(request, api)
    if refused is not None:
        return refused
    assert api.anchors is not None, "the app has not started"
    document = await api.anchors.current(api.public_url(request.scope))
    # The hash names the chain's state exactly: a cache may keep it briefly and revalidate cheaply.
    headers = {"ETag": f'"{document["hash"] or "empty"}-{document["events"]}"', "Cache-Control": "public, max-age=60"}
    if headers["ETag"] in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(b"", status_code=304, headers=headers)
    return Response(document, media_type="application/json", headers=headers)


ROUTES = [registry_json, subject_csv, audit_anchor]
