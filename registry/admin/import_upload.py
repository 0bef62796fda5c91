"""Importing a file from the staff UI (JSON, an XLSX workbook or a CSV file of one section): upload, a dry run shown as a preview
with every error at once and every change as old -> new, then apply exactly those bytes; the spreadsheet templates."""

from __future__ import annotations

import asyncio
import base64
import codecs
import hashlib
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.di import NamedDependency, Provide
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath

from registry.admin.context import AppContext
from registry.admin.guards import checked_post, requires
from registry.admin.support import StaffController, StaffPages
from registry.i18n import translations
from registry.messages import N_
from registry.public.page_support import language_of
from registry.roles import Permission
from registry.services.audit import Actor
from registry.services.errors import FieldError, ValidationFailed
from registry.services.imports import spreadsheet
from registry.services.imports.parse import SECTIONS
from registry.services.imports.plan import ImportReport, import_document
from registry.services.imports.preview import planned_changes
from registry.services.staff.sessions import StaffSession
from registry.services.values import UNSAFE_IN_LINE

# The upload waits in the staff member's session (shared by every instance) between preview and apply.
PENDING = "import_upload"
# A page lists this many records per section and errors; the counts always cover the whole file.
SHOWN = 200
SECTION_NAMES = {
    "organisations": N_("Organisations"),
    "trainings": N_("Trainings"),
    "programmes": N_("Programmes"),
    "coaches": N_("Coaches"),
    "qualifications": N_("Completed trainings"),
}
SUBJECT_NAMES = {"training": N_("training"), "programme": N_("programme"), "coach": N_("coach")}


class UploadRefused(Exception):
    """The upload is not a file the importer can read; the message id says why."""


SPREADSHEET_SECTIONS = {**SECTION_NAMES, "decisions": N_("Decisions")}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(page: StaffPages, status: int = 200, **context: Any) -> Response[str]:
    values = {"problem": None, "errors": [], "error_count": 0, "report": None, "planned": None, "digest": None, "file_name": "",
              "applied": False, "chosen_section": "", **context}
    return page("admin/import.html", status, section="import", sections=SECTION_NAMES, subjects=SUBJECT_NAMES, shown=SHOWN,
                spreadsheet_sections=SPREADSHEET_SECTIONS, **values)


def placed_errors(page: StaffPages, errors: list[FieldError], sheet: spreadsheet.Spreadsheet | None) -> list[tuple[str, str, bool]]:
    """Each problem as (where, what, whether `where` is a JSON path) in the visitor's language: sheet, row and column for a
    spreadsheet, else the JSON path."""
    gettext = translations(language_of(page.request)).gettext
    rows = []
    for error in errors:
        place = sheet.place_of(error.field) if sheet is not None else None
        if place is None:
            where = gettext(N_("the whole file")) if error.field == "$" else error.field
        elif place.column:
            where = gettext(N_("sheet %(sheet)s, row %(row)d, column %(column)s")) % {"sheet": place.sheet, "row": place.row, "column": place.column}
            where += f" ({place.field})" if place.field else ""
        else:
            where = gettext(N_("sheet %(sheet)s, row %(row)d")) % {"sheet": place.sheet, "row": place.row}
        rows.append((where, error.in_language(gettext), place is None and error.field != "$"))
    return rows


def _refused(page: StaffPages, errors: list[FieldError], file_name: str, sheet: spreadsheet.Spreadsheet | None) -> Response[str]:
    """Every problem with its place in the file, in the visitor's language (the page shows the first few hundred)."""
    return _page(page, 422, errors=placed_errors(page, errors, sheet), error_count=len(errors), file_name=file_name)


async def _uploaded(form: FormMultiDict) -> tuple[str, bytes]:
    """The chosen file's name and bytes, not empty; JSON and CSV must be UTF-8 text (a byte order mark is dropped)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):  # no file chosen: browsers send an empty text part
        raise UploadRefused(N_("Choose a file to import."))
    content = await upload.read()
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8):]
    if not content.strip():
        raise UploadRefused(N_("The file is empty."))
    if not spreadsheet.is_xlsx(content):
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise UploadRefused(N_("The file is not UTF-8 text. Save it as UTF-8 and upload it again.")) from None
    # The name is only shown and kept with the session: control characters (PostgreSQL refuses NUL) are left out.
    return UNSAFE_IN_LINE.sub("", upload.filename or "")[:200], content


async def read_upload(content: bytes, file_name: str, section: str) -> tuple[bytes, spreadsheet.Spreadsheet | None]:
    """The import document of an upload (a workbook or CSV file read into one, off the event loop) and the spreadsheet it came from.

    The spreadsheet's own problems (a sheet not named after a section, a duplicate column) are in its `errors`; the caller
    reports them together with the problems of the rest, so that every problem shows at once.
    """
    sheet = None
    if spreadsheet.is_xlsx(content):
        sheet = await asyncio.to_thread(spreadsheet.read_xlsx, content)
    elif file_name.lower().endswith(".csv") or section:
        if not section:
            raise UploadRefused(N_("A CSV file holds one section: choose which one."))
        sheet = await asyncio.to_thread(spreadsheet.read_csv, content, section)
    if sheet is None:
        return content, None
    return sheet.content(), sheet


async def checked(engine: Any, content: bytes, sheet: spreadsheet.Spreadsheet | None, actor: Actor, apply: bool) -> ImportReport:
    """import_document, refusing also for the spreadsheet's own problems, listed first with the rest (ValidationFailed)."""
    layout = list(sheet.errors) if sheet is not None else []
    try:
        report = await import_document(engine, content, actor, apply=apply and not layout)
    except ValidationFailed as failure:
        raise ValidationFailed(layout + failure.errors) from None
    if layout:
        raise ValidationFailed(layout)
    return report


async def _keep(app_context: AppContext, session: StaffSession, upload: dict[str, Any] | None) -> None:
    """Hold (or, with None, drop) the upload in the session; a new one replaces the last."""
    if upload is None and PENDING not in session.pending:
        return
    session.pending = {key: value for key, value in session.pending.items() if key != PENDING}
    if upload is not None:
        session.pending[PENDING] = upload
    await app_context.sessions.remember(session)


async def provide_upload(request: Request) -> FormMultiDict | None:
    """The CSRF-checked form with the file; None when the body is too large to be read (and its token with it)."""
    try:
        return await checked_post(request)
    except RequestEntityTooLarge:
        return None


def _changes(report: ImportReport) -> bool:
    return bool(sum(report.created.values()) + sum(report.updated.values()) + report.decisions_recorded)


class ImportController(StaffController):
    """/admin/importeren: upload, preview, apply."""

    path = "/admin/importeren"

    @get("/", guards=[requires(Permission.IMPORT_APPLY)])
    async def upload_form(self, page: NamedDependency[StaffPages]) -> Response[str]:
        """The upload form, with the format in brief."""
        return _page(page)

    @post("/", guards=[requires(Permission.IMPORT_APPLY)], dependencies={"upload": Provide(provide_upload)})
    async def preview(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                      upload: NamedDependency[FormMultiDict | None], actor: NamedDependency[Actor]) -> Response[str]:
        """Check the whole file against the registry in a dry run (nothing is written) and show what it would do."""
        if upload is None:
            # The body is refused before its CSRF token can be read; this page changes nothing.
            return _page(page, 413, problem=N_("The file is larger than 5 MB. Split it into smaller files and import them one after another."))
        raw_section = upload.get("section")
        section = raw_section if isinstance(raw_section, str) and raw_section in SECTIONS else ""
        session = page.session
        try:
            file_name, raw = await _uploaded(upload)
            content, sheet = await read_upload(raw, file_name, section)
        except UploadRefused as refusal:
            return _page(page, 400, problem=str(refusal), chosen_section=section)
        try:
            report = await checked(app_context.engine, content, sheet, actor, apply=False)
        except ValidationFailed as failure:
            await _keep(app_context, session, None)
            return _refused(page, failure.errors, file_name, sheet)
        if not _changes(report):
            await _keep(app_context, session, None)
            return _page(page, report=report, file_name=file_name)
        digest = hashlib.sha256(raw).hexdigest()
        # The file as uploaded (a workbook as base64), read again on apply so that problems still name sheet, row and column.
        await _keep(app_context, session, {"sha256": digest, "name": file_name, "section": section,
                                           "content": base64.b64encode(raw).decode("ascii")})
        planned = await planned_changes(app_context.engine, content, actor)
        return _page(page, report=report, planned=planned, digest=digest, file_name=file_name)

    @post("/uitvoeren", guards=[requires(Permission.IMPORT_APPLY)])
    async def apply(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                    form_fields: NamedDependency[dict[str, str]], actor: NamedDependency[Actor]) -> Response[str]:
        """Import the previewed bytes, checked again against the registry as it is now."""
        session = page.session
        held = session.pending.get(PENDING) or {}
        if not held or form_fields.get("sha256") != held.get("sha256"):
            return _page(page, 409, problem=N_("This preview is no longer available. Upload the file again."))
        if held.get("applied"):
            return _page(page, 409, problem=N_("This file has already been imported. Upload it again to check it against the registry as it is now."))
        raw = base64.b64decode(held["content"])
        if hashlib.sha256(raw).hexdigest() != held["sha256"]:
            return _page(page, 409, problem=N_("This preview is no longer available. Upload the file again."))
        sheet = None
        try:
            content, sheet = await read_upload(raw, held["name"], held.get("section") or "")
            report = await checked(app_context.engine, content, sheet, actor, apply=True)
        except ValidationFailed as failure:
            # The registry changed after the preview; the staff member sees why and starts again.
            await _keep(app_context, session, None)
            return _refused(page, failure.errors, held["name"], sheet)
        # Only the fact is kept: a second press of the button (or a reload) imports nothing twice.
        await _keep(app_context, session, {"sha256": held["sha256"], "name": held["name"], "applied": True})
        return _page(page, report=report, file_name=held["name"], applied=True)

    @get("/sjabloon.xlsx", guards=[requires(Permission.IMPORT_APPLY)])
    async def workbook_template(self) -> Response[bytes]:
        """An empty workbook with a sheet per section and its header row."""
        content = await asyncio.to_thread(spreadsheet.template_xlsx, spreadsheet.TEMPLATE_COLUMNS)
        return Response(content, media_type=XLSX_TYPE, headers={"Content-Disposition": 'attachment; filename="import-sjabloon.xlsx"'})

    @get("/sjabloon/{name:str}", guards=[requires(Permission.IMPORT_APPLY)])
    async def csv_template(self, name: FromPath[str], page: NamedDependency[StaffPages]) -> Response[Any]:
        """A CSV file holding the header row of one section (`coaches.csv`)."""
        name = name.removesuffix(".csv")
        if name not in spreadsheet.TEMPLATE_COLUMNS:
            return page.not_found(N_("There is no template for this section."))
        return Response(spreadsheet.template_csv(spreadsheet.TEMPLATE_COLUMNS[name]), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="import-{name}.csv"'})
