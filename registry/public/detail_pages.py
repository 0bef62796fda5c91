"""Public pages of one programme, coach, training or organisation: status today, design, public history."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from registry import rules
from registry.api.context import ApiContext
from registry.messages import N_
from registry.public.page_cache import PageKey
from registry.public.page_support import here, language_of, not_found, page_response, render_html, too_many
from registry.schemas.public import ProgrammeDetail
from registry.services.errors import NotFound
from registry.services.public import read as public_read
from registry.services.sql import Writer, reading
from registry.templating import Renderer

Loader = Callable[[Writer, str, Any], Awaitable[Any]]


def _shortfall(record: ProgrammeDetail) -> rules.Shortfall | None:
    return rules.care_standard_shortfall(record.guidance_type, record.format, record.sessions, record.contact_minutes)


def _minimum(record: ProgrammeDetail) -> rules.CareStandardMinimum:
    return rules.CARE_STANDARD_MINIMUMS[(rules.GuidanceType(record.guidance_type), rules.ProgrammeFormat(record.format))]


def _page_route(base: str, load: Loader, template: str, missing: str, section: str, api_base: str, **extra: Any) -> HTTPRouteHandler:
    """GET {base}/{code}: the record `load` reads, on its page; the visitor's language, rate limit and 404 page included."""

    async def page(code: FromPath[str], request: Request, api: NamedDependency[ApiContext], pages: NamedDependency[Renderer]) -> Response[str]:
        """The record, its status today and every public decision; rendered once per register state, language and day."""
        if refused := too_many(request, api, pages):
            return refused
        language, on = language_of(request), public_read.today()
        # The index follows every audited change (a catch-up before it answers on SQLite, LISTEN on PostgreSQL), so
        # its position names the register state a page shows.
        snapshot = await api.index.current()
        key = PageKey(here(request), snapshot.audit_seen, snapshot.audit_hash, language, on)
        if (cached := api.page_cache.get(key)) is not None:
            return page_response(cached[0], language, cached[1])
        try:
            async with reading(api.engine) as reader:
                record = await load(reader, code, on)
        except NotFound:
            return not_found(request, pages, missing)
        html = render_html(request, pages, template, language, record=record, section=section,
                           json_url=f"{api_base}/{code.upper()}", **extra)
        api.page_cache.put(key, html, 200)
        return page_response(html, language)

    return get(f"{base}/{{code:str}}", include_in_schema=False, name=f"{section}-page")(page)


ROUTES = [
    _page_route("/programmas", public_read.programme_detail, "public/programme.html", N_("The register holds no programme with this code."),
                "programmes", "/api/v1/programmes", shortfall_of=_shortfall, minimum_of=_minimum),
    _page_route("/coaches", public_read.coach_detail, "public/coach.html", N_("The register holds no coach with this registration number."),
                "coaches", "/api/v1/coaches"),
    _page_route("/opleidingen", public_read.training_detail, "public/training.html", N_("The register holds no training with this code."),
                "trainings", "/api/v1/trainings"),
    _page_route("/organisaties", public_read.organisation_detail, "public/organisation.html",
                N_("The register holds no organisation with this code."), "organisations", "/api/v1/organisations"),
]
