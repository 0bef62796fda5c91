"""Importing a file from the staff UI: upload, a dry run shown as a preview, then apply exactly those bytes."""

from __future__ import annotations

import codecs
import hashlib
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.di import NamedDependency, Provide
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from registry.admin.context import AppContext
from registry.admin.guards import checked_post, requires
from registry.admin.support import StaffController, StaffPages
from registry.messages import N_
from registry.roles import Permission
from registry.services.audit import Actor
from registry.services.errors import ValidationFailed
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


def _page(page: StaffPages, status: int = 200, **context: Any) -> Response[str]:
    values = {"problem": None, "errors": {}, "error_count": 0, "report": None, "planned": None, "digest": None, "file_name": "",
              "applied": False, **context}
    return page("admin/import.html", status, section="import", sections=SECTION_NAMES, subjects=SUBJECT_NAMES, shown=SHOWN, **values)


def _refused(page: StaffPages, failure: ValidationFailed, file_name: str) -> Response[str]:
    """Every problem with its JSON path, in the visitor's language (the page shows the first few hundred)."""
    return _page(page, 422, errors=page.messages(failure.errors), error_count=len(failure.errors), file_name=file_name)


async def _uploaded(form: FormMultiDict) -> tuple[str, bytes]:
    """The chosen file's name and bytes: UTF-8 text, not empty (a UTF-8 byte order mark is dropped)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):  # no file chosen: browsers send an empty text part
        raise UploadRefused(N_("Choose a file to import."))
    content = await upload.read()
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8):]
    if not content.strip():
        raise UploadRefused(N_("The file is empty."))
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadRefused(N_("The file is not UTF-8 text. Save it as UTF-8 and upload it again.")) from None
    # The name is only shown and kept with the session: control characters (PostgreSQL refuses NUL) are left out.
    return UNSAFE_IN_LINE.sub("", upload.filename or "")[:200], content


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
        try:
            file_name, content = await _uploaded(upload)
        except UploadRefused as refusal:
            return _page(page, 400, problem=str(refusal))
        session = page.session
        try:
            report = await import_document(app_context.engine, content, actor, apply=False)
        except ValidationFailed as failure:
            await _keep(app_context, session, None)
            return _refused(page, failure, file_name)
        if not _changes(report):
            await _keep(app_context, session, None)
            return _page(page, report=report, file_name=file_name)
        digest = hashlib.sha256(content).hexdigest()
        await _keep(app_context, session, {"sha256": digest, "name": file_name, "content": content.decode("utf-8")})
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
        try:
            report = await import_document(app_context.engine, held["content"].encode("utf-8"), actor, apply=True)
        except ValidationFailed as failure:
            # The registry changed after the preview; the staff member sees why and starts again.
            await _keep(app_context, session, None)
            return _refused(page, failure, held["name"])
        # Only the fact is kept: a second press of the button (or a reload) imports nothing twice.
        await _keep(app_context, session, {"sha256": held["sha256"], "name": held["name"], "applied": True})
        return _page(page, report=report, file_name=held["name"], applied=True)
