"""The web application: create_app(settings) wires the database, routes and lifespan."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from litestar.response import Response
from piccolo.engine.base import Engine

from registry import db
from registry.settings import Settings


@get("/health/live", sync_to_thread=False, opt={"public": True})
def live() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/health/ready")
async def ready(engine: NamedDependency[Engine]) -> Response[dict[str, object]]:
    """The database answers and every migration is applied."""
    try:
        pending = await db.pending_migrations(engine)
    except Exception as problem:  # the database is unreachable: say so rather than fail
        return Response({"status": "unavailable", "database": str(problem)}, status_code=HTTP_503_SERVICE_UNAVAILABLE)
    if pending:
        return Response({"status": "unavailable", "pending_migrations": pending}, status_code=HTTP_503_SERVICE_UNAVAILABLE)
    return Response({"status": "ok"}, status_code=HTTP_200_OK)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    """The registry's Litestar app for these settings (read from the environment if not given)."""
    settings = settings or Settings.from_env()
    engine = engine or db.build_engine(settings)
    db.bind(engine)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await db.start(engine, settings.postgres_pool_size)
        try:
            yield
        finally:
            await db.stop(engine)

    return Litestar(
        route_handlers=[live, ready],
        dependencies={"engine": Provide(lambda: engine, sync_to_thread=False)},
        lifespan=[lifespan],
        state=State({"settings": settings}),
        debug=settings.debug,
    )
