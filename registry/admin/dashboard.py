"""The staff start page: counts by status, what expires within 90 days, recent decisions, expiries per month."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.di import NamedDependency

from registry.admin.context import AppContext
from registry.admin.guards import requires
from registry.admin.support import StaffController, StaffPages
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


class DashboardController(StaffController):
    """/admin: the staff start page."""

    path = "/admin"

    @get("/", guards=[requires(Permission.REGISTRY_READ)])
    async def dashboard_page(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages]) -> Response[str]:
        """Counts, expiries and recent decisions."""
        board = dashboard.figures(await app_context.api.index.current(), public_read.today())
        async with reading(app_context.engine) as reader:
            board.recent = await dashboard.recent_decisions(reader)
        return page("admin/dashboard.html", section="dashboard", board=board, bars=chart_bars(board.expiries_by_month))
