"""Public read API: programmes, coaches, trainings, organisations and the change feed (no sign-in)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Awaitable, Callable, Literal
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from registry.api.context import ApiContext
from registry.api.openapi import documented
from registry.api.problems import problem
from registry.public.page_support import public_allowance
from registry.rules import GuidanceType, ProgrammeFormat, SessionMode, Status, names
from registry.schemas import (
    ChangeFeed,
    CoachDetail,
    CoachPage,
    OrganisationDetail,
    ProgrammeDetail,
    ProgrammePage,
    TrainingDetail,
    TrainingPage,
)
from registry.services.public import read as public_read
from registry.services.public import search as public_search
from registry.services.sql import Writer, reading

_JSON = msgspec.json.Encoder()
PUBLIC_PROBLEMS = (404, 429)
CACHE_SECONDS = 60


async def _cached_json(
    request: Request, api: ApiContext, build: Callable[[Writer | None], Awaitable[Any]], needs_database: bool = True
) -> Response[bytes]:
    """Rate-limited, ETag-validated JSON: 304 when the client already holds this exact answer."""
    allowance = public_allowance(request, api)
    if not allowance.allowed:
        return problem(429, "too many requests from this address; try again later", "rate-limited",
                       headers={"Retry-After": str(allowance.retry_after)})
    if needs_database:
        async with reading(api.engine) as reader:
            body = _JSON.encode(await build(reader))
    else:
        body = _JSON.encode(await build(None))
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={CACHE_SECONDS}", "Vary": "Accept-Encoding"}
    asked = request.headers.get("if-none-match", "")
    if etag in {tag.strip() for tag in asked.split(",")} or asked.strip() == "*":
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _detail(struct: type[msgspec.Struct], what: str):
    return documented(None, {200: (struct, what)}, PUBLIC_PROBLEMS, secured=False, bodiless={304: "Not modified: your ETag is current."})


@get("/api/v1/programmes/{code:str}", tags=["public"], summary="A programme", operation_class=_detail(ProgrammeDetail, "The programme, its status today and its public history."))
async def programme(code: FromPath[str], request: Request, api: NamedDependency[ApiContext]) -> Response[bytes]:
    """A programme's public record."""
    on = public_read.today()
    return await _cached_json(request, api, lambda reader: public_read.programme_detail(reader, code, on))


@get("/api/v1/coaches/{registration_number:str}", tags=["public"], summary="A coach", operation_class=_detail(CoachDetail, "The coach, status today, qualifications and public history."))
async def coach(registration_number: FromPath[str], request: Request, api: NamedDependency[ApiContext]) -> Response[bytes]:
    """A coach's public record."""
    on = public_read.today()
    return await _cached_json(request, api, lambda reader: public_read.coach_detail(reader, registration_number, on))


@get("/api/v1/trainings/{code:str}", tags=["public"], summary="A training", operation_class=_detail(TrainingDetail, "The training, its status today and its public history."))
async def training(code: FromPath[str], request: Request, api: NamedDependency[ApiContext]) -> Response[bytes]:
    """A training's public record."""
    on = public_read.today()
    return await _cached_json(request, api, lambda reader: public_read.training_detail(reader, code, on))


@get("/api/v1/organisations/{code:str}", tags=["public"], summary="An organisation", operation_class=_detail(OrganisationDetail, "The organisation with its programmes and trainings."))
async def organisation(code: FromPath[str], request: Request, api: NamedDependency[ApiContext]) -> Response[bytes]:
    """An organisation's public record."""
    on = public_read.today()
    return await _cached_json(request, api, lambda reader: public_read.organisation_detail(reader, code, on))


@get(
    "/api/v1/changes",
    tags=["public"],
    summary="Every decision in recording order",
    operation_class=documented(
        None, {200: (ChangeFeed, "Decisions after the cursor; follow next_cursor while has_more.")}, (400, 422, 429),
        secured=False, bodiless={304: "Not modified: your ETag is current."},
    ),
)
async def changes(
    request: Request,
    api: NamedDependency[ApiContext],
    after: Annotated[str | None, QueryParameter(description="A cursor from an earlier page; empty for the start.", max_length=64)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=public_read.MAX_CHANGES, description="Decisions per page.")] = 100,
) -> Response[bytes]:
    """The change feed: mirror the register incrementally."""
    position = public_read.decode_cursor(after)
    return await _cached_json(request, api, lambda reader: public_read.changes(reader, position, limit))


Text = Annotated[str | None, QueryParameter(max_length=200, description="Words to look for; each must start a word (accents and case ignored).")]
PageNumber = Annotated[int, QueryParameter(ge=1, le=100_000, description="Page number, from 1.")]
PageSize = Annotated[int, QueryParameter(ge=1, le=public_search.MAX_PAGE_SIZE, description="Results per page.")]
StatusFilter = Annotated[
    Literal[names(Status)] | None,
    QueryParameter(description="Only subjects with this status today."),
]


def _page_document(request: Request, items: list[dict[str, Any]], total: int, page: public_search.Page, on: Any) -> dict[str, Any]:
    last = max(1, -(-total // page.size))

    asked = [(key, value) for key, value in request.query_params.multi_items() if key not in ("page", "page_size")]

    def link(number: int) -> str:
        # Relative links, so they hold behind any reverse proxy.
        return f"{request.url.path}?{urlencode([*asked, ('page', number), ('page_size', page.size)])}"

    links = {"self": link(page.number), "first": link(1), "last": link(last)}
    if page.number > 1:
        links["prev"] = link(min(page.number - 1, last))
    if page.number < last:
        links["next"] = link(page.number + 1)
    return {"items": items, "page": page.number, "page_size": page.size, "total": total, "status_on": on.isoformat(), "links": links}


def _list_operation(struct: type[msgspec.Struct], what: str):
    return documented(None, {200: (struct, what)}, (400, 429), secured=False, bodiless={304: "Not modified: your ETag is current."})


@get("/api/v1/programmes", tags=["public"], summary="Search programmes", operation_class=_list_operation(ProgrammePage, "Programmes matching every filter, by name."))
async def programmes(
    request: Request,
    api: NamedDependency[ApiContext],
    q: Text = None,
    guidance_type: Annotated[Literal[names(GuidanceType)] | None, QueryParameter(description="Kortdurend or intensief.")] = None,
    format: Annotated[Literal[names(ProgrammeFormat)] | None, QueryParameter(description="Individueel or groep.")] = None,  # noqa: A002 - the contract's name
    mode: Annotated[Literal[names(SessionMode)] | None, QueryParameter(description="How sessions are held.")] = None,
    city: Annotated[str | None, QueryParameter(max_length=100, description="A city the programme is offered in.")] = None,
    status: StatusFilter = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response[bytes]:
    """Programmes by text, guidance type, format, mode, city and status today."""
    on, paging = public_read.today(), public_search.Page(page, page_size)
    search = (await api.search.for_snapshot(await api.index.current())).programmes

    async def build(reader: Writer | None) -> dict[str, Any]:
        items, total = public_search.search_programmes(search, on, paging, q, guidance_type, format, mode, city, status)
        return _page_document(request, items, total, paging, on)

    return await _cached_json(request, api, build, needs_database=False)


@get("/api/v1/coaches", tags=["public"], summary="Search coaches", operation_class=_list_operation(CoachPage, "Coaches matching the filters, by surname."))
async def coaches(
    request: Request,
    api: NamedDependency[ApiContext],
    q: Text = None,
    city: Annotated[str | None, QueryParameter(max_length=100, description="The coach's city.")] = None,
    status: StatusFilter = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Response[bytes]:
    """Coaches by name or registration number, city and status today."""
    on, paging = public_read.today(), public_search.Page(page, page_size)
    search = (await api.search.for_snapshot(await api.index.current())).coaches

    async def build(reader: Writer | None) -> dict[str, Any]:
        items, total = public_search.search_coaches(search, on, paging, q, city, status)
        return _page_document(request, items, total, paging, on)

    return await _cached_json(request, api, build, needs_database=False)


@get("/api/v1/trainings", tags=["public"], summary="Search trainings", operation_class=_list_operation(TrainingPage, "Trainings by name."))
async def trainings(
    request: Request, api: NamedDependency[ApiContext], q: Text = None, page: PageNumber = 1, page_size: PageSize = 20
) -> Response[bytes]:
    """Trainings by name or code."""
    on, paging = public_read.today(), public_search.Page(page, page_size)
    snapshot = await api.index.current()

    async def build(reader: Writer) -> dict[str, Any]:
        items, total = await public_search.search_trainings(reader, snapshot, on, paging, q)
        return _page_document(request, items, total, paging, on)

    return await _cached_json(request, api, build)


ROUTES = [programmes, coaches, trainings, programme, coach, training, organisation, changes]
