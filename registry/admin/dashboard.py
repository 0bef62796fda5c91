"""The staff start page as a work list (proposals waiting, expiring this month and within 90 days, suspensions without an end,
records never decided, an import waiting), counts that link to filtered lists, expiries per month, recent decisions; the work lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.response import Redirect

from registry.admin.context import AppContext
from registry.admin.guards import requires
from registry.admin.import_upload import PENDING as IMPORT_PENDING
from registry.admin.support import StaffController, StaffPages
from registry.messages import N_
from registry.roles import Permission
from registry.services.public import read as public_read
from registry.services.sql import reading
from registry.services.staff import dashboard, proposals
from registry.services.staff import search as staff_search
from registry.services.staff.records import KINDS
from registry.services.staff.users import staff_names

MAX_QUERY = 200
WORK_LISTS = {
    "verloopt": N_("Accreditations ending within 90 days"),
    "geschorst": N_("Suspended without an end date"),
    "nooit-besloten": N_("Records without any decision"),
}


def chart_bars(months: list[tuple[Any, int]], width: int = 640, height: int = 200) -> list[dict[str, Any]]:
    """Bar positions for the server-drawn SVG chart: 20 units above the tallest bar for its count, two label lines below."""
    top = max((count for _, count in months), default=0) or 1
    slot = width / max(1, len(months))
    tallest = height - 60
    return [
        {"month": month, "count": count, "x": round(index * slot + slot * 0.15, 1), "width": round(slot * 0.7, 1),
         "height": round(count / top * tallest, 1), "y": round(20 + tallest - count / top * tallest, 1),
         "label_x": round(index * slot + slot / 2, 1), "show_year": index == 0 or month.month == 1}
        for index, (month, count) in enumerate(months)
    ]


class DashboardController(StaffController):
    """/admin: the staff start page."""

    path = "/admin"

    @get("/", guards=[requires(Permission.REGISTRY_READ)])
    async def dashboard_page(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages]) -> Response[str]:
        """What needs attention today, each count a link to its list; counts by status, expiries per month, recent decisions."""
        board = dashboard.figures(await app_context.api.index.current(), public_read.today())
        async with reading(app_context.engine) as reader:
            board.recent = await dashboard.recent_decisions(reader)
            waiting = await proposals.pending(reader)
            people = await staff_names(reader)
        held = page.session.pending.get(IMPORT_PENDING) or {}
        this_month = board.on.replace(day=1)
        return page("admin/dashboard.html", section="dashboard", board=board, bars=chart_bars(board.expiries_by_month), kinds=KINDS,
                    proposals=waiting, people=people, ending_this_month=board.ending_in(this_month), this_month=this_month,
                    import_waiting=held.get("name") if held and not held.get("applied") else None)

    @get("/werklijst", guards=[requires(Permission.REGISTRY_READ)])
    async def work_list(self, request: Request, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages]) -> Response[str]:
        """One work list of the dashboard: ending (within 90 days, or in a month), suspended without an end, never decided."""
        name = request.query_params.get("lijst") or ""
        if name not in WORK_LISTS:
            return page.not_found(N_("There is no such work list."))
        board = dashboard.figures(await app_context.api.index.current(), public_read.today())
        title, month = WORK_LISTS[name], None
        if name == "verloopt":
            items = board.expiring
            raw_month = request.query_params.get("maand") or ""
            if raw_month:
                try:
                    month = dt.date.fromisoformat(f"{raw_month}-01")
                except ValueError:
                    return page.not_found(N_("There is no such work list."))
                items = board.ending_in(month)
        elif name == "geschorst":
            items = board.open_suspensions
        else:
            items = board.never_decided
        return page("admin/work_list.html", section="dashboard", name=name, title=title, month=month, items=items, kinds=KINDS,
                    on=board.on)

    @get("/zoeken", guards=[requires(Permission.REGISTRY_READ)])
    async def search(self, request: Request, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages]) -> Response[Any]:
        """One search box over every kind of record and every decision reference; a single record found opens at once."""
        q = (request.query_params.get("q") or "").strip()
        errors = {}
        if len(q) > MAX_QUERY:
            errors["q"], q = N_("Use at most 200 characters."), ""
        found = staff_search.Found()
        if q:
            async with reading(app_context.engine) as reader:
                found = await staff_search.search(reader, await app_context.api.index.current(), public_read.today(), q)
            only = found.only_record()
            if only is not None:
                return Redirect(f"/admin/{KINDS[only[0]].slug}/{only[1]}", status_code=303)
        return page("admin/search.html", section="dashboard", q=q, found=found, kinds=KINDS, errors=errors)
