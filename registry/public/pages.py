"""Public pages: home, search across the register, and the lists of programmes, coaches, trainings, organisations."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Sequence

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect
from msgspec import Struct

from registry.api.context import ApiContext
from registry.i18n import LANGUAGE_COOKIE, LANGUAGES
from registry.public import labels
from registry.public.page_support import (
    PAGE_SIZE,
    FormErrors,
    choice_field,
    local_path,
    page_number,
    paging,
    render_page,
    text_field,
    too_many,
    with_query,
)
from registry.services.public import read as public_read
from registry.services.public import search as public_search
from registry.services.public.search_index import Searches
from registry.services.verification.snapshot import Snapshot
from registry.templating import Renderer

PREVIEW = 5
Result = tuple[Sequence[Struct], int]
ONE_YEAR = 365 * 24 * 3600


Search = Callable[[public_search.Page, "str | None"], Awaitable[Result]]


async def _results_page(request: Request, pages: Renderer, template: str, section: str, asked: dict[str, Any],
                        errors: FormErrors, search: Search, api: ApiContext | None = None) -> Response[str]:
    """A list page: the search runs only when every field is valid; otherwise the form with its errors (400).

    When `q` finds nothing and the register spells one of its words differently, the page shows what that spelling
    finds, saying so ("Bedoelde u ...?"); with `api`, the in-memory lists' words are asked."""
    number, items, total, suggestion = page_number(request), [], 0, None
    if not errors:
        items, total = await search(public_search.Page(number, PAGE_SIZE), asked["q"] or None)
        if not total and asked["q"] and api is not None:
            suggestion = (await api.search.for_snapshot(await api.index.current())).suggest(asked["q"])
            if suggestion:
                items, total = await search(public_search.Page(number, PAGE_SIZE), suggestion)
    return render_page(request, pages, template, 400 if errors else 200, section=section, asked=asked, errors=errors,
                       items=items, paging=paging(request, number, total), suggestion=suggestion,
                       suggestion_link=with_query(request, q=suggestion) if suggestion else None)


@get("/", include_in_schema=False)
async def home(request: Request, api: NamedDependency[ApiContext], pages: NamedDependency[Renderer]) -> Response[str]:
    """The start page: one search box and the ways into the register; its example city is one with programmes."""
    if refused := too_many(request, api, pages):
        return refused
    searches = await api.search.for_snapshot(await api.index.current())
    return render_page(request, pages, "public/home.html", section="home", example_city=searches.programmes.busiest_city())


@get("/zoeken", include_in_schema=False)
async def search_everything(request: Request, api: NamedDependency[ApiContext], pages: NamedDependency[Renderer]) -> Response[str]:
    """The home box's results: the first few programmes, coaches, trainings and organisations."""
    if refused := too_many(request, api, pages):
        return refused
    errors = FormErrors()
    q = text_field(request, "q", errors)
    found: dict[str, Result] = {}
    suggestion = None
    if q and not errors:
        snapshot = await api.index.current()
        searches = await api.search.for_snapshot(snapshot)
        found = await _everything(api, snapshot, searches, q)
        if not any(total for _items, total in found.values()) and (suggestion := searches.suggest(q)):
            found = await _everything(api, snapshot, searches, suggestion)
    status = 400 if errors else 200
    return render_page(request, pages, "public/search.html", status, section="search", q=q, errors=errors, found=found,
                       suggestion=suggestion, suggestion_link=with_query(request, q=suggestion) if suggestion else None)


async def _everything(api: ApiContext, snapshot: Snapshot, searches: Searches, q: str) -> dict[str, Result]:
    """The first few programmes, coaches, trainings and organisations a query finds (all in memory)."""
    on, first, listings = public_read.today(), public_search.Page(1, PREVIEW), await api.listings.current()
    return {
        "programmes": public_search.search_programmes(searches.programmes, on, first, q),
        "coaches": public_search.search_coaches(searches.coaches, on, first, q),
        "trainings": public_search.search_trainings(listings, snapshot, on, first, q),
        "organisations": public_search.search_organisations(listings, first, q),
    }


@get("/programmas", include_in_schema=False)
async def programme_list(request: Request, api: NamedDependency[ApiContext], pages: NamedDependency[Renderer]) -> Response[str]:
    """Programmes by text, guidance type, format, way of working, city and status today."""
    if refused := too_many(request, api, pages):
        return refused
    errors = FormErrors()
    asked = {
        "q": text_field(request, "q", errors),
        "guidance_type": choice_field(request, "guidance_type", labels.GUIDANCE_TYPES, errors),
        "format": choice_field(request, "format", labels.FORMATS, errors),
        "mode": choice_field(request, "mode", labels.MODES, errors),
        "city": text_field(request, "city", errors, 100),
        "status": choice_field(request, "status", labels.STATUS_ORDER, errors),
    }

    async def search(page: public_search.Page, q: str | None) -> Result:
        searches = await api.search.for_snapshot(await api.index.current())
        return public_search.search_programmes(searches.programmes, public_read.today(), page, q, asked["guidance_type"],
                                               asked["format"], asked["mode"], asked["city"] or None, asked["status"])

    return await _results_page(request, pages, "public/programmes.html", "programmes", asked, errors, search, api)


@get("/coaches", include_in_schema=False)
async def coach_list(request: Request, api: NamedDependency[ApiContext], pages: NamedDependency[Renderer]) -> Response[str]:
    """Coaches by name or registration number, city and status today."""
    if refused := too_many(request, api, pages):
        return refused
    errors = FormErrors()
    asked = {
        "q": text_field(request, "q", errors),
        "city": text_field(request, "city", errors, 100),
        "status": choice_field(request, "status", labels.STATUS_ORDER, errors),
    }

    async def search(page: public_search.Page, q: str | None) -> Result:
        searches = await api.search.for_snapshot(await api.index.current())
        return public_search.search_coaches(searches.coaches, public_read.today(), page, q, asked["city"] or None, asked["status"])

    return await _results_page(request, pages, "public/coaches.html", "coaches", asked, errors, search, api)


@get("/opleidingen", include_in_schema=False)
async def training_list(request: Request, api: NamedDependency[ApiContext], pages: NamedDependency[Renderer]) -> Response[str]:
    """Trainings by name or code."""

    async def find(page: public_search.Page, q: str | None) -> Result:
        listings = await api.listings.current()
        return public_search.search_trainings(listings, await api.index.current(), public_read.today(), page, q)

    return await _text_search_page(request, api, pages, "public/trainings.html", "trainings", find)


@get("/organisaties", include_in_schema=False)
async def organisation_list(request: Request, api: NamedDependency[ApiContext], pages: NamedDependency[Renderer]) -> Response[str]:
    """Providers and training institutes by name, code or city."""

    async def find(page: public_search.Page, q: str | None) -> Result:
        return public_search.search_organisations(await api.listings.current(), page, q)

    return await _text_search_page(request, api, pages, "public/organisations.html", "organisations", find)


async def _text_search_page(request: Request, api: ApiContext, pages: Renderer, template: str, section: str, find: Search) -> Response[str]:
    """A list searched by its one text field, `q`."""
    if refused := too_many(request, api, pages):
        return refused
    errors = FormErrors()
    asked = {"q": text_field(request, "q", errors)}
    return await _results_page(request, pages, template, section, asked, errors, find, api)


@get("/open-data", include_in_schema=False)
async def open_data_page(request: Request, api: NamedDependency[ApiContext], pages: NamedDependency[Renderer]) -> Response[str]:
    """What can be downloaded, in which form, under which licence."""
    return too_many(request, api, pages) or render_page(request, pages, "public/open_data.html", section="open-data")


@get("/taal/{language:str}", include_in_schema=False)
async def switch_language(request: Request, language: FromPath[str]) -> Redirect:
    """Remember the chosen language for a year and go back to the page the visitor was on."""
    target = local_path(request.query_params.get("terug"))
    response = Redirect(target, status_code=303)
    if language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=ONE_YEAR, path="/", samesite="lax", httponly=True,
                            secure=request.url.scheme == "https")
    return response


ROUTES = [home, search_everything, programme_list, coach_list, training_list, organisation_list, open_data_page, switch_language]
