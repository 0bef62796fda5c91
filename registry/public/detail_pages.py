"""Public pages of one programme, coach, training or organisation: status today, design, public history."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from registry import rules
from registry.api.context import ApiContext
from registry.messages import N_
from registry.public.page_support import not_found, render_page, too_many
from registry.services.errors import NotFound
from registry.services.public import read as public_read
from registry.services.sql import Writer, reading
from registry.templating import Renderer

Loader = Callable[[Writer, str, Any], Awaitable[dict[str, Any]]]


async def _detail_page(
    request: Request, api: ApiContext, pages: Renderer, load: Loader, code: str, template: str, missing: str, **extra: Any
) -> Response[str]:
    if refused := too_many(request, api, pages):
        return refused
    try:
        async with reading(api.engine) as reader:
            record = await load(reader, code, public_read.today())
    except NotFound:
        return not_found(request, pages, missing)
    return render_page(request, pages, template, record=record, **extra)


def _shortfall(record: dict[str, Any]) -> rules.Shortfall | None:
    return rules.care_standard_shortfall(record["guidance_type"], record["format"], record["sessions"], record["contact_minutes"])


@get("/programmas/{code:str}", include_in_schema=False)
async def programme_page(code: FromPath[str], request: Request, api: NamedDependency[ApiContext],
                         pages: NamedDependency[Renderer]) -> Response[str]:
    """A programme: provider, design, status today, validity and every public decision."""
    return await _detail_page(request, api, pages, public_read.programme_detail, code, "public/programme.html",
                              N_("The register holds no programme with this code."), section="programmes",
                              json_url=f"/api/v1/programmes/{code.upper()}", shortfall_of=_shortfall)


@get("/coaches/{registration_number:str}", include_in_schema=False)
async def coach_page(registration_number: FromPath[str], request: Request, api: NamedDependency[ApiContext],
                     pages: NamedDependency[Renderer]) -> Response[str]:
    """A coach: status today, validity, completed trainings and every public decision."""
    return await _detail_page(request, api, pages, public_read.coach_detail, registration_number, "public/coach.html",
                              N_("The register holds no coach with this registration number."), section="coaches",
                              json_url=f"/api/v1/coaches/{registration_number.upper()}")


@get("/opleidingen/{code:str}", include_in_schema=False)
async def training_page(code: FromPath[str], request: Request, api: NamedDependency[ApiContext],
                        pages: NamedDependency[Renderer]) -> Response[str]:
    """A training: institute, what it qualifies for, status today and every public decision."""
    return await _detail_page(request, api, pages, public_read.training_detail, code, "public/training.html",
                              N_("The register holds no training with this code."), section="trainings",
                              json_url=f"/api/v1/trainings/{code.upper()}")


@get("/organisaties/{code:str}", include_in_schema=False)
async def organisation_page(code: FromPath[str], request: Request, api: NamedDependency[ApiContext],
                            pages: NamedDependency[Renderer]) -> Response[str]:
    """An organisation with its programmes and trainings and their status today."""
    return await _detail_page(request, api, pages, public_read.organisation_detail, code, "public/organisation.html",
                              N_("The register holds no organisation with this code."), section="organisations",
                              json_url=f"/api/v1/organisations/{code.upper()}")


ROUTES = [programme_page, coach_page, training_page, organisation_page]
