"""Staff pages for records: list (search, filter, sort, pages, CSV), view, create and edit with optimistic locking."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from registry.admin import record_forms
from registry.admin.csv_export import csv_response
from registry.admin.support import actor_of, admin_page, checked_post, field_messages, requires, session_of, unsaved_for_now
from registry.api.context import ApiContext
from registry.messages import N_
from registry.outages import database_unavailable
from registry.public.labels import STATUS_ORDER
from registry.public.page_support import PAGE_SIZE, not_found, page_number, paging
from registry.roles import Permission
from registry.services.errors import EditConflict, NotFound, ValidationFailed
from registry.services.public import read as public_read
from registry.services.sql import reading
from registry.services.staff import records as staff_records
from registry.services.staff.records import KINDS, RecordKind

MAX_QUERY = 200


def list_filters(request: Request, kind: RecordKind) -> tuple[dict[str, Any], dict[str, str]]:
    """Search words, status and sort from the query string; unknown values are field errors."""
    errors: dict[str, str] = {}
    q = (request.query_params.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        errors["q"], q = N_("Use at most 200 characters."), ""
    status = request.query_params.get("status") or None
    if status is not None and (status not in STATUS_ORDER or not kind.has_decisions):
        errors["status"], status = N_("Choose one of the options."), None
    sort = request.query_params.get("sorteer") or kind.sorts[0][0]
    if sort not in {key for key, _label, _sql in kind.sorts}:
        errors["sorteer"], sort = N_("Choose one of the options."), kind.sorts[0][0]
    return {"q": q, "status": status, "sort": sort}, errors


def record_missing(request: Request) -> Response[str]:
    """The page for a code that names no record of this kind."""
    return not_found(request, request.app.state["pages"], N_("The register holds nothing under this code."))


async def record_of(api: ApiContext, kind: RecordKind, code: str) -> dict[str, Any] | None:
    """What staff see of one record, or None when the code names none."""
    async with reading(api.engine) as reader:
        try:
            return await staff_records.record_detail(reader, kind, code, public_read.today())
        except NotFound:
            return None


def record_routes(kind: RecordKind) -> list[Any]:
    """The list, view, create and edit routes of one kind of record."""
    base = f"/admin/{kind.slug}"
    fields = record_forms.FIELDS[kind.kind]

    @get(base, name=f"admin-{kind.slug}", include_in_schema=False, guards=[requires(Permission.REGISTRY_READ)])
    async def list_page(request: Request, api: NamedDependency[ApiContext]) -> Response[str]:
        """Records matching the filters, a page at a time."""
        filters, errors = list_filters(request, kind)
        number = page_number(request)
        async with reading(api.engine) as reader:
            items, total = await staff_records.list_records(reader, await api.index.current(), kind, public_read.today(),
                                                            filters["q"], filters["status"], filters["sort"], number, PAGE_SIZE)
        query = urlencode({k: v for k, v in (("q", filters["q"]), ("status", filters["status"] or ""), ("sorteer", filters["sort"])) if v})
        return admin_page(request, "admin/records.html", await session_of(request), 400 if errors else 200, section=kind.section,
                          kind=kind, items=items, filters=filters, sort_options=[(key, label) for key, label, _sql in kind.sorts], errors=errors, paging=paging(request, number, total),
                          csv_url=f"{base}/export.csv" + (f"?{query}" if query else ""))

    @get(f"{base}/export.csv", name=f"admin-{kind.slug}-csv", include_in_schema=False, guards=[requires(Permission.REGISTRY_READ)])
    async def export(request: Request, api: NamedDependency[ApiContext]) -> Response[bytes]:
        """The whole filtered list as CSV, every field staff may see."""
        filters, _errors = list_filters(request, kind)
        async with reading(api.engine) as reader:
            items, _total = await staff_records.list_records(reader, await api.index.current(), kind, public_read.today(),
                                                             filters["q"], filters["status"], filters["sort"], 1, 0, everything=True)
        return csv_response(kind, items)

    @get(f"{base}/nieuw", name=f"admin-{kind.slug}-new", include_in_schema=False, guards=[requires(Permission.RECORDS_WRITE)])
    async def new_form(request: Request) -> Response[str]:
        """An empty form for a new record."""
        return admin_page(request, "admin/record_form.html", await session_of(request), section=kind.section, kind=kind,
                          fields=fields, values={}, errors={}, record=None, conflict=None)

    @post(f"{base}/nieuw", name=f"admin-{kind.slug}-create", include_in_schema=False, guards=[requires(Permission.RECORDS_WRITE)])
    async def create(request: Request, api: NamedDependency[ApiContext]) -> Response[Any]:
        """Save a new record and go to its page."""
        session = await session_of(request)
        form = await checked_post(request, session)
        values, problems = record_forms.record_values(form, fields, creating=True)
        typed = record_forms.posted(form, fields)
        try:
            code = await staff_records.save_record(api.engine, actor_of(request, session), kind, None, values, None, apply=not problems)
        except ValidationFailed as failure:
            problems = [*problems, *failure.errors]
        except Exception as error:
            if not database_unavailable(error):
                raise
            return unsaved_for_now(admin_page(request, "admin/record_form.html", session, section=kind.section, kind=kind, fields=fields,
                                              values=typed, record=None, conflict=None, errors={}, database_away=True))
        if problems:
            return admin_page(request, "admin/record_form.html", session, 400, section=kind.section, kind=kind, fields=fields,
                              values=typed, record=None, conflict=None,
                              errors=field_messages(request, problems, f"{kind.section}[0]."))
        return Redirect(f"{base}/{code}?gelukt=opgeslagen", status_code=303)

    @get(f"{base}/{{code:str}}", name=f"admin-{kind.slug}-view", include_in_schema=False, guards=[requires(Permission.REGISTRY_READ)])
    async def view(request: Request, code: FromPath[str], api: NamedDependency[ApiContext]) -> Response[str]:
        """Every field, the decisions and the status today."""
        record = await record_of(api, kind, code)
        if record is None:
            return record_missing(request)
        return admin_page(request, "admin/record.html", await session_of(request), section=kind.section, kind=kind, fields=fields,
                          record=record, done=request.query_params.get("gelukt"), open_form=None, errors={}, values={},
                          qualification_fields=record_forms.QUALIFICATION_FIELDS, shown_date=record_forms.shown_date)

    @get(f"{base}/{{code:str}}/wijzigen", name=f"admin-{kind.slug}-edit", include_in_schema=False,
         guards=[requires(Permission.RECORDS_WRITE)])
    async def edit_form(request: Request, code: FromPath[str], api: NamedDependency[ApiContext]) -> Response[str]:
        """The record's form, holding the version it shows."""
        record = await record_of(api, kind, code)
        if record is None:
            return record_missing(request)
        return admin_page(request, "admin/record_form.html", await session_of(request), section=kind.section, kind=kind,
                          fields=fields, values=record_forms.form_of(record, fields), errors={}, record=record, version=record["version"],
                          conflict=None)

    @post(f"{base}/{{code:str}}/wijzigen", name=f"admin-{kind.slug}-save", include_in_schema=False,
          guards=[requires(Permission.RECORDS_WRITE)])
    async def save(request: Request, code: FromPath[str], api: NamedDependency[ApiContext]) -> Response[Any]:
        """Save the changes unless someone else saved first; then show both, losing nothing."""
        session = await session_of(request)
        form = await checked_post(request, session)
        record = await record_of(api, kind, code)
        if record is None:
            return record_missing(request)
        version = record_forms.form_version(form, missing=-1)
        values, problems = record_forms.record_values(form, fields, creating=False)
        typed = record_forms.posted(form, fields)
        try:
            await staff_records.save_record(api.engine, actor_of(request, session), kind, record["code"], values, version,
                                            apply=not problems)
        except ValidationFailed as failure:
            problems = [*problems, *failure.errors]
        except EditConflict:
            current = await record_of(api, kind, code) or record
            return admin_page(request, "admin/record_form.html", session, 409, section=kind.section, kind=kind, fields=fields,
                              values=typed, record=current, version=current["version"], errors={},
                              conflict=record_forms.form_of(current, fields))
        except Exception as error:
            if not database_unavailable(error):
                raise
            return unsaved_for_now(admin_page(request, "admin/record_form.html", session, section=kind.section, kind=kind,
                                              fields=fields, values=typed, record=record, version=version, conflict=None, errors={},
                                              database_away=True))
        if problems:
            return admin_page(request, "admin/record_form.html", session, 400, section=kind.section, kind=kind, fields=fields,
                              values=typed, record=record, version=version, conflict=None,
                              errors=field_messages(request, problems, f"{kind.section}[0]."))
        return Redirect(f"{base}/{record['code']}?gelukt=opgeslagen", status_code=303)

    return [list_page, export, new_form, create, view, edit_form, save]


ROUTES = [route for kind in KINDS.values() for route in record_routes(kind)]
