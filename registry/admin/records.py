"""Staff pages for records: list (search, filter, sort, pages, CSV), view, create and edit with optimistic locking."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from registry.admin import record_forms
from registry.admin.context import AppContext
from registry.admin.csv_export import csv_response
from registry.admin.guards import requires
from registry.admin.support import StaffController, StaffPages
from registry.messages import N_
from registry.public.labels import STATUS_ORDER
from registry.public.page_support import PAGE_SIZE, page_number, paging
from registry.roles import Permission
from registry.services.audit import Actor
from registry.services.errors import EditConflict, NotFound, ValidationFailed
from registry.services.public import read as public_read
from registry.services.sql import reading
from registry.services.staff import records as staff_records
from registry.services.staff.records import KINDS, RecordKind

MAX_QUERY = 200
RECORD_MISSING = N_("The register holds nothing under this code.")


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
    if sort not in {key for key, _label in kind.sorts}:
        errors["sorteer"], sort = N_("Choose one of the options."), kind.sorts[0][0]
    return {"q": q, "status": status, "sort": sort}, errors


async def record_of(app_context: AppContext, kind: RecordKind, code: str) -> dict[str, Any] | None:
    """What staff see of one record, or None when the code names none."""
    async with reading(app_context.engine) as reader:
        try:
            return await staff_records.record_detail(reader, kind, code, public_read.today())
        except NotFound:
            return None


def record_page_context(kind: RecordKind, record: dict[str, Any], **context: Any) -> dict[str, Any]:
    """What a record's page shows, with one of its forms open when `open_form` says so."""
    return {"section": kind.section, "kind": kind, "fields": record_forms.fields_of(kind.kind, creating=False), "record": record, "done": None,
            "design_fields": record_forms.DESIGN_FIELDS,
            "qualification_fields": record_forms.QUALIFICATION_FIELDS, "shown_date": record_forms.shown_date, "open_form": None, "recorded_reference": "", "people": record.get("people", {}),
            "errors": {}, "values": {}, **context}


async def _listed(app_context: AppContext, kind: RecordKind, filters: dict[str, Any], number: int, size: int) -> tuple[list[Any], int]:
    async with reading(app_context.engine) as reader:
        return await staff_records.list_records(reader, await app_context.api.index.current(), kind, public_read.today(),
                                                filters["q"], filters["status"], filters["sort"], number, size, everything=size == 0)


class RecordsController(StaffController):
    """The list, view, create and edit routes of one kind of record; records_controller makes one per kind."""

    kind: ClassVar[RecordKind]

    def _form_context(self, **context: Any) -> dict[str, Any]:
        """What the record's form shows; `values`, `record` and `errors` come from the handler."""
        fields = record_forms.fields_of(self.kind.kind, creating=context.get("record") is None)
        return {"section": self.kind.section, "kind": self.kind, "fields": fields, "conflict": None, "errors": {}, **context}

    def _form(self, page: StaffPages, status: int = 200, **context: Any) -> Response[str]:
        return page("admin/record_form.html", status, **self._form_context(**context))

    @get("/", guards=[requires(Permission.REGISTRY_READ)])
    async def list_page(self, request: Request, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages]) -> Response[str]:
        """Records matching the filters, a page at a time."""
        kind = self.kind
        filters, errors = list_filters(request, kind)
        number = page_number(request)
        items, total = await _listed(app_context, kind, filters, number, PAGE_SIZE)
        query = urlencode({k: v for k, v in (("q", filters["q"]), ("status", filters["status"] or ""), ("sorteer", filters["sort"])) if v})
        return page("admin/records.html", 400 if errors else 200, section=kind.section, kind=kind, items=items, filters=filters,
                    sort_options=list(kind.sorts), errors=errors, paging=paging(request, number, total),
                    csv_url=f"/admin/{kind.slug}/export.csv" + (f"?{query}" if query else ""))

    @get("/export.csv", guards=[requires(Permission.REGISTRY_READ)])
    async def export(self, request: Request, app_context: NamedDependency[AppContext]) -> Response[bytes]:
        """The whole filtered list as CSV, every field staff may see."""
        filters, _errors = list_filters(request, self.kind)
        items, _total = await _listed(app_context, self.kind, filters, 1, 0)
        return csv_response(self.kind, items)

    @get("/nieuw", guards=[requires(Permission.RECORDS_WRITE)])
    async def new_form(self, page: NamedDependency[StaffPages]) -> Response[str]:
        """An empty form for a new record."""
        return self._form(page, values={}, record=None)

    @post("/nieuw", guards=[requires(Permission.RECORDS_WRITE)])
    async def create(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                     form: NamedDependency[FormMultiDict], actor: NamedDependency[Actor]) -> Response[Any]:
        """Save a new record and go to its page."""
        fields = record_forms.FIELDS[self.kind.kind]
        values, problems = record_forms.record_values(form, fields, creating=True)
        typed = record_forms.posted(form, fields)
        page.unsaved_shows("admin/record_form.html", **self._form_context(values=typed, record=None))
        try:
            code = await staff_records.save_record(app_context.engine, actor, self.kind, None, values, None, apply=not problems)
        except ValidationFailed as failure:
            problems = [*problems, *failure.errors]
        if problems:
            return self._form(page, 400, values=typed, record=None, errors=page.messages(problems, f"{self.kind.section}[0]."))
        return Redirect(f"/admin/{self.kind.slug}/{code}?gelukt=opgeslagen", status_code=303)

    @get("/{code:str}", guards=[requires(Permission.REGISTRY_READ)])
    async def view(self, request: Request, code: FromPath[str], app_context: NamedDependency[AppContext],
                   page: NamedDependency[StaffPages]) -> Response[str]:
        """Every field, the decisions and the status today."""
        record = await record_of(app_context, self.kind, code)
        if record is None:
            return page.not_found(RECORD_MISSING)
        return page("admin/record.html", **record_page_context(self.kind, record, done=request.query_params.get("gelukt"),
                                                               recorded_reference=request.query_params.get("besluit") or ""))

    @get("/{code:str}/wijzigen", guards=[requires(Permission.RECORDS_WRITE)])
    async def edit_form(self, code: FromPath[str], app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages]) -> Response[str]:
        """The record's form, holding the version it shows."""
        record = await record_of(app_context, self.kind, code)
        if record is None:
            return page.not_found(RECORD_MISSING)
        return self._form(page, values=record_forms.form_of(record, record_forms.fields_of(self.kind.kind, creating=False)), record=record,
                          version=record["version"])

    @post("/{code:str}/wijzigen", guards=[requires(Permission.RECORDS_WRITE)])
    async def save(self, code: FromPath[str], app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                   form: NamedDependency[FormMultiDict], actor: NamedDependency[Actor]) -> Response[Any]:
        """Save the changes unless someone else saved first; then show both, losing nothing."""
        kind, fields = self.kind, record_forms.fields_of(self.kind.kind, creating=False)
        record = await record_of(app_context, kind, code)
        if record is None:
            return page.not_found(RECORD_MISSING)
        version = record_forms.form_version(form, missing=-1)
        values, problems = record_forms.record_values(form, fields, creating=False)
        typed = record_forms.posted(form, fields)
        page.unsaved_shows("admin/record_form.html", **self._form_context(values=typed, record=record, version=version))
        try:
            await staff_records.save_record(app_context.engine, actor, kind, record["code"], values, version, apply=not problems)
        except ValidationFailed as failure:
            problems = [*problems, *failure.errors]
        except EditConflict:
            current = await record_of(app_context, kind, code) or record
            return self._form(page, 409, values=typed, record=current, version=current["version"],
                              conflict=record_forms.form_of(current, fields))
        if problems:
            return self._form(page, 400, values=typed, record=record, version=version,
                              errors=page.messages(problems, f"{kind.section}[0]."))
        return Redirect(f"/admin/{kind.slug}/{record['code']}?gelukt=opgeslagen", status_code=303)


def records_controller(kind: RecordKind) -> type[RecordsController]:
    """The records controller of one kind, at /admin/<slug>."""
    return type(f"{kind.kind.title()}RecordsController", (RecordsController,), {"path": f"/admin/{kind.slug}", "kind": kind})


CONTROLLERS = [records_controller(kind) for kind in KINDS.values()]
