"""The web application: create_app(settings) wires the database, routes and lifespan."""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from litestar import Litestar, get
from litestar.datastructures import CacheControlHeader, State
from litestar.di import NamedDependency, Provide
from litestar.response import Response
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_200_OK
from piccolo.engine.base import Engine

from registry import db
from registry.admin import care_pages, decision_pages, records
from registry.admin.api_clients import ApiClientsController
from registry.admin.audit_log import AuditLogController
from registry.admin.context import APP_CONTEXT, AppContext
from registry.admin.dashboard import DashboardController
from registry.admin.guards import EXCEPTION_HANDLERS as ADMIN_EXCEPTION_HANDLERS
from registry.admin.import_upload import ImportController
from registry.admin.invitations import InvitationController
from registry.admin.proposals import ProposalsController
from registry.admin.sign_in import SignInController
from registry.admin.staff import OwnPasswordController, StaffAccountsController
from registry.api import fast_verify, oauth, verifications
from registry.api.compression import CompressionMiddleware
from registry.api.context import ApiContext
from registry.api.limits import RateLimitHeadersMiddleware
from registry.api.openapi import SCHEMA_PLUGINS, complete, openapi_config
from registry.api.problems import problem
from registry.public import api as public_api
from registry.public import api_guide, check_page, detail_pages, open_data_routes, pages
from registry.public.errors import EXCEPTION_HANDLERS
from registry.public.public_work import PublicWorkMiddleware
from registry.security.addresses import ControlCharactersMiddleware
from registry.security.headers import SecurityHeadersMiddleware
from registry.settings import Settings
from registry.templating import Renderer

STATIC = Path(__file__).parent / "static"
log = logging.getLogger(__name__)


@get("/health/live", sync_to_thread=False, tags=["health"])
def live() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/health/ready", tags=["health"])
async def ready(engine: NamedDependency[Engine]) -> Response[Any]:
    """The database answers and every migration is applied."""
    try:
        pending = await db.pending_migrations(engine)
    except Exception as error:  # the database is unreachable: say so rather than fail
        log.warning("not ready: the database cannot be reached: %s", error)
        return problem(503, "the database cannot be reached", "unavailable", database="unreachable")
    if pending:
        return problem(503, "migrations are pending: run `registry migrate`", "unavailable", pending_migrations=pending)
    return Response({"status": "ok"}, status_code=HTTP_200_OK)


GC_THRESHOLDS = (50_000, 20, 10)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    """The registry's Litestar app for these settings (read from the environment if not given)."""
    settings = settings or Settings.from_env()
    engine = engine or db.build_engine(settings)
    db.bind(engine)
    api = ApiContext.build(settings, engine)
    renderer = Renderer(reload=settings.debug)
    app_context = AppContext.build(api, renderer)

    async def start() -> None:
        # Answering a claim allocates a few dozen short-lived objects; with the default thresholds (700, 10, 10)
        # the young-generation passes cost more than the rules themselves (10,000 declaration lines: 0.86 s of
        # answers against 0.35 s without GC). Collections every 50,000 allocations keep that to a few percent;
        # cycles are still collected, and the long-lived snapshot is frozen out of every pass (index, search).
        gc.set_threshold(*GC_THRESHOLDS)
        await db.start(engine, settings.postgres_pool_size)
        await api.start()

    async def stop() -> None:
        try:
            await api.stop()
        finally:
            await db.stop(engine)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await start()
        try:
            yield
        finally:
            await stop()

    app = Litestar(
        route_handlers=[
            live, ready, *oauth.ROUTES, fast_verify.verify_one, *verifications.ROUTES, *public_api.ROUTES, *open_data_routes.ROUTES,
            *pages.ROUTES, *detail_pages.ROUTES, *check_page.ROUTES, *api_guide.ROUTES,
            SignInController, DashboardController, AuditLogController, ApiClientsController, *records.CONTROLLERS, *decision_pages.CONTROLLERS,
            *care_pages.CONTROLLERS,
            StaffAccountsController, ImportController, ProposalsController, OwnPasswordController, InvitationController,
            create_static_files_router("/static", [STATIC], cache_control=CacheControlHeader(max_age=3600, public=True),
                                       include_in_schema=False),
        ],
        dependencies={
            "engine": Provide(lambda: engine, sync_to_thread=False),
            "api": Provide(lambda: api, sync_to_thread=False),
            "pages": Provide(lambda: renderer, sync_to_thread=False),
            APP_CONTEXT: Provide(lambda: app_context, sync_to_thread=False),
        },
        exception_handlers={**EXCEPTION_HANDLERS, **ADMIN_EXCEPTION_HANDLERS},
        middleware=[ControlCharactersMiddleware],
        openapi_config=openapi_config(settings.openapi_enabled),
        plugins=SCHEMA_PLUGINS,
        request_max_body_size=settings.max_body_bytes,
        lifespan=[lifespan],
        # start/stop are the lifespan's steps, for tests that run the app on their own event loop.
        state=State({"settings": settings, "api": api, "pages": renderer, APP_CONTEXT: app_context, "start": start, "stop": stop}),
        debug=settings.debug,
    )
    # Around Litestar's own handler (router and exception handling included), so that 404s,
    # 405s and errors raised before any route carry the headers too (the rate limits' once noted).
    app.asgi_handler = CompressionMiddleware(SecurityHeadersMiddleware(RateLimitHeadersMiddleware(PublicWorkMiddleware(app.asgi_handler))))
    if settings.openapi_enabled:
        fast_verify.document_in(app.openapi_schema)
        complete(app.openapi_schema)
    return app
