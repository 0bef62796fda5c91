"""Public read API: programmes, coaches, trainings, organisations and the change feed (no sign-in)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Awaitable, Callable, Literal, TypeAlias, TypeVar
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter
from litestar.response.base import ASGIResponse
from msgspec import UNSET, Struct

from registry.api.compression import etag_matches
from registry.api.context import ApiContext
from registry.api.openapi import NOT_MODIFIED, ApiOperation, problems
from registry.api.problems import Refused
from registry.public.page_support import public_allowance
from registry.rules import GuidanceType, ProgrammeFormat, SessionMode, Status, names
from registry.schemas.history import ChangeFeed
from registry.schemas.public import CoachDetail, OrganisationDetail, ProgrammeDetail, TrainingDetail
from registry.schemas.search import CoachPage, OrganisationPage, PageLinks, ProgrammePage, TrainingPage
from registry.services.errors import FieldError, ValidationFailed
from registry.services.public import read as public_read
from registry.services.public import search as public_search
from registry.services.sql import Writer, reading

CACHE_SECONDS = 60
Answer = TypeVar("Answer", bound=Struct)


class Cached(Response[Answer]):
    """A public answer that caches may keep a minute and revalidate: 304 when the client already holds this exact one."""

    def to_asgi_response(self, app: Any, request: Request, **kwargs: Any) -> ASGIResponse:
        body = self.render(self.content, "application/json")
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        self.headers.update({"ETag": etag, "Cache-Control": f"public, max-age={CACHE_SECONDS}", "Vary": "Accept-Encoding"})
        if etag_matches(etag, request.headers.get("if-none-match", "")):
            self.content, self.status_code = b"", 304  # pyright: ignore[reportAttributeAccessIssue] - Response sends bytes content as it is
        else:
            self.content = body  # pyright: ignore[reportAttributeAccessIssue] - the rendered body replaces the answer
        return super().to_asgi_response(app, request, **kwargs)


def _allow(request: Request, api: ApiContext) -> None:
    """Count the request against this address's public limit; raises Refused (429) when it is used up."""
    allowance = public_allowance(request, api)
    if not allowance.allowed:
        raise Refused(429, "too many requests from this address; try again later", "rate-limited",
                      headers={"Retry-After": str(allowance.retry_after)})


async def _from_database(request: Request, api: ApiContext, load: Callable[[Writer], Awaitable[Answer]]) -> Cached[Answer]:
    _allow(request, api)
    async with reading(api.engine) as reader:
        return Cached(await load(reader))


def _record_route(path: str, summary: str, what: str, record: type[Struct], load: Callable[[Writer, str, Any], Awaitable[Any]],
                  operation_id: str) -> HTTPRouteHandler:
    """GET one public record by the code in its path, as `load` reads it."""

    # `Record` is named by signature_namespace below, so that the document shows this route's own schema.
    async def read_record(request: Request, api: NamedDependency[ApiContext]) -> Cached[Record]:  # noqa: F821  # pyright: ignore[reportUndefinedVariable] - bound per route by signature_namespace
        """One public record."""
        (code,) = request.path_params.values()
        on = public_read.today()
        return await _from_database(request, api, lambda reader: load(reader, code, on))

    return get(
        path, tags=["public"], summary=summary, operation_id=operation_id, response_description=what,
        responses={**NOT_MODIFIED, **problems(400, 404, 429)}, operation_class=ApiOperation,
        signature_namespace={"Record": record},
    )(read_record)


RECORD_ROUTES = [
    _record_route("/api/v1/programmes/{code:str}", "A programme", "The programme, its status today and its public history.",
                  ProgrammeDetail, public_read.programme_detail, "ApiV1ProgrammesCodeProgramme"),
    _record_route("/api/v1/coaches/{registration_number:str}", "A coach", "The coach, status today, qualifications and public history.",
                  CoachDetail, public_read.coach_detail, "ApiV1CoachesRegistrationNumberCoach"),
    _record_route("/api/v1/trainings/{code:str}", "A training", "The training, its status today and its public history.",
                  TrainingDetail, public_read.training_detail, "ApiV1TrainingsCodeTraining"),
    _record_route("/api/v1/organisations/{code:str}", "An organisation", "The organisation with its programmes and trainings.",
                  OrganisationDetail, public_read.organisation_detail, "ApiV1OrganisationsCodeOrganisation"),
]
LIST = {"tags": ["public"], "responses": {**NOT_MODIFIED, **problems(400, 422, 429)}, "operation_class": ApiOperation}


@get("/api/v1/changes", tags=["public"], summary="Every decision in recording order",
     response_description="Decisions after the cursor; follow next_cursor while has_more.",
     responses={**NOT_MODIFIED, **problems(400, 422, 429)}, operation_class=ApiOperation)
async def changes(
    request: Request,
    api: NamedDependency[ApiContext],
    after: Annotated[str | None, QueryParameter(description="A cursor from an earlier page (`next_cursor`); absent for the start.",
                                                max_length=64, pattern=public_read.CURSOR_PATTERN)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=public_read.MAX_CHANGES, description="Decisions per page.")] = 100,
) -> Cached[ChangeFeed]:
    """The change feed: mirror the register incrementally."""
    position = public_read.decode_cursor(after)
    return await _from_database(request, api, lambda reader: public_read.changes(reader, position, limit))


Text = Annotated[str | None, QueryParameter(max_length=200, description="Words to look for; each must start a word (accents and case ignored).")]
PageNumber = Annotated[int, QueryParameter(ge=1, le=100_000, description="Page number, from 1.")]
PageSize = Annotated[int, QueryParameter(ge=1, le=public_search.MAX_PAGE_SIZE, description="Results per page.")]
StatusFilter: TypeAlias = Annotated[
    Literal[names(Status)] | None,  # pyright: ignore[reportInvalidTypeForm] - a Literal of the vocabulary's values, built at import for the OpenAPI document
    QueryParameter(description="Only subjects with this status today."),
]


def _links(request: Request, total: int, page: public_search.Page) -> PageLinks:
    last = max(1, -(-total // page.size))
    asked = [(key, value) for key, value in request.query_params.multi_items() if key not in ("page", "page_size")]

    def link(number: int) -> str:
        # Relative links, so they hold behind any reverse proxy.
        return f"{request.url.path}?{urlencode([*asked, ('page', number), ('page_size', page.size)])}"

    return PageLinks(
        link(page.number), first=link(1), last=link(last),
        prev=link(min(page.number - 1, last)) if page.number > 1 else UNSET,
        next=link(page.number + 1) if page.number < last else UNSET,
    )


@get("/api/v1/programmes", summary="Search programmes", response_description="Programmes matching every filter, by name.", **LIST)
async def programmes(
    request: Request,
    api: NamedDependency[ApiContext],
    q: Text = None,
    guidance_type: Annotated[Literal[names(GuidanceType)] | None, QueryParameter(description="Kortdurend or intensief.")] = None,  # pyright: ignore[reportInvalidTypeForm] - a Literal of the vocabulary's values, built at import for the OpenAPI document
    format: Annotated[Literal[names(ProgrammeFormat)] | None, QueryParameter(description="Individueel or groep.")] = None,  # noqa: A002 - the contract's name  # pyright: ignore[reportInvalidTypeForm] - a Literal of the vocabulary's values, built at import for the OpenAPI document
    mode: Annotated[Literal[names(SessionMode)] | None, QueryParameter(description="How sessions are held.")] = None,  # pyright: ignore[reportInvalidTypeForm] - a Literal of the vocabulary's values, built at import for the OpenAPI document
    city: Annotated[str | None, QueryParameter(max_length=100, description="A city the programme is offered in.")] = None,
    status: StatusFilter = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Cached[ProgrammePage]:
    """Programmes by text, guidance type, format, mode, city and status today."""
    _allow(request, api)
    on, paging = public_read.today(), public_search.Page(page, page_size)
    searches = await api.search.for_snapshot(await api.index.current())
    items, total = public_search.search_programmes(searches.programmes, on, paging, q, guidance_type, format, mode, city, status)
    suggestion = searches.suggest(q) if q and not total else None
    return Cached(ProgrammePage(items, paging.number, paging.size, total, on, _links(request, total, paging), suggestion))


AgbCode = Annotated[str | None, QueryParameter(pattern="^[0-9]{8}$", description="An AGB code (8 digits): only who holds it, "
                                                "as a declaration line names them; not combined with the other filters.")]


def _only_agb_code(agb_code: str | None, *others: Any) -> None:
    if agb_code is not None and any(other is not None for other in others):
        # A rule across parameters that JSON Schema cannot state: 422 naming the field, as for any refused parameter.
        raise ValidationFailed([FieldError("agb_code", "finds one record by itself: leave out q, city and status", "exclusive")])


@get("/api/v1/coaches", summary="Search coaches", response_description="Coaches matching the filters, by surname.", **LIST)
async def coaches(
    request: Request,
    api: NamedDependency[ApiContext],
    q: Text = None,
    city: Annotated[str | None, QueryParameter(max_length=100, description="The coach's city.")] = None,
    status: StatusFilter = None,
    agb_code: AgbCode = None,
    page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Cached[CoachPage]:
    """Coaches by name or registration number, city and status today; or the coach holding an AGB code."""
    _allow(request, api)
    _only_agb_code(agb_code, q, city, status)
    on, paging = public_read.today(), public_search.Page(page, page_size)
    snapshot = await api.index.current()
    if agb_code is not None:
        found = public_search.coach_by_agb_code(snapshot, on, agb_code)
        return Cached(CoachPage(found[paging.offset: paging.offset + paging.size], paging.number, paging.size, len(found), on,
                                _links(request, len(found), paging)))
    searches = await api.search.for_snapshot(snapshot)
    items, total = public_search.search_coaches(searches.coaches, on, paging, q, city, status)
    suggestion = searches.suggest(q) if q and not total else None
    return Cached(CoachPage(items, paging.number, paging.size, total, on, _links(request, total, paging), suggestion))


@get("/api/v1/trainings", summary="Search trainings", response_description="Trainings by name.", **LIST)
async def trainings(
    request: Request, api: NamedDependency[ApiContext], q: Text = None, page: PageNumber = 1, page_size: PageSize = 20
) -> Cached[TrainingPage]:
    """Trainings by name or code."""
    _allow(request, api)
    on, paging = public_read.today(), public_search.Page(page, page_size)
    listings = await api.listings.current()
    items, total = public_search.search_trainings(listings, api.index.snapshot, on, paging, q)
    return Cached(TrainingPage(items, paging.number, paging.size, total, on, _links(request, total, paging)))


@get("/api/v1/organisations", summary="Search organisations", response_description="Organisations by name, or the one holding an AGB code.",
     **LIST)
async def organisations(
    request: Request, api: NamedDependency[ApiContext], q: Text = None, agb_code: AgbCode = None, page: PageNumber = 1,
    page_size: PageSize = 20,
) -> Cached[OrganisationPage]:
    """Organisations by name words, code or city; or the organisation holding an AGB code (a practice or one of its locations)."""
    _only_agb_code(agb_code, q)
    paging = public_search.Page(page, page_size)
    if agb_code is None:
        _allow(request, api)
        items, total = public_search.search_organisations(await api.listings.current(), paging, q)
        return Cached(OrganisationPage(items, paging.number, paging.size, total, _links(request, total, paging)))

    async def load(reader: Writer) -> OrganisationPage:
        found = await public_search.organisation_by_agb_code(reader, agb_code)
        items, total = found[paging.offset: paging.offset + paging.size], len(found)
        return OrganisationPage(items, paging.number, paging.size, total, _links(request, total, paging))

    return await _from_database(request, api, load)


ROUTES = [programmes, coaches, trainings, organisations, *RECORD_ROUTES, changes]
