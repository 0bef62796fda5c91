"""The staff start page: counts by status, what expires within 90 days, recent decisions, expiries per month."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency

from registry.admin.support import admin_page, requires, session_of
from registry.api.context import ApiContext
from registry.roles import Permission
from registry.services.public import read as public_read
from registry.services.sql import reading
from registry.services.staff import dashboard


def chart_bars(months: list[tuple[Any, int]], width: int = 640, height: int = 180) -> list[dict[str, Any]]:
    """Bar positions for the server-drawn SVG chart."""
    top = max((count for _, count in months), default=0) or 1
    slot = width / max(1, len(months))
    return [
        {"month": month, "count": count, "x": round(index * slot + slot * 0.15, 1), "width": round(slot * 0.7, 1),
         "height": round(count / top * (height - 30), 1), "y": round(height - 20 - count / top * (height - 30), 1),
         "label_x": round(index * slot + slot / 2, 1)}
        for index, (month, count) in enumerate(months)
    ]


@get("/admin", include_in_schema=False, guards=[requires(Permission.REGISTRY_READ)])
async def dashboard_page(request: Request, api: NamedDependency[ApiContext]) -> Response[str]:
    """Counts, expiries and recent decisions."""
    on = public_read.today()
    board = dashboard.figures(await api.index.current(), on)
    async with reading(api.engine) as reader:
        board.recent = await dashboard.recent_decisions(reader)
    return admin_page(request, "admin/dashboard.html", await session_of(request), section="dashboard", board=board,
                      bars=chart_bars(board.expiries_by_month))


ROUTES = [dashboard_page]
