"""Importing a file from the staff UI: upload, a dry run shown as a preview, then apply exactly those bytes."""

from __future__ import annotations

import codecs
import hashlib
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from registry.admin.support import StaffAuth, actor_of, admin_page, checked_form, field_messages, requires, session_of
from registry.api.context import ApiContext
from registry.auth.sessions import StaffSession
from registry.messages import N_
from registry.roles import Permission
from registry.services.errors import ValidationFailed
from registry.services.imports.plan import ImportReport, import_document
from registry.services.imports.preview import planned_changes

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


def _page(request: Request, session: StaffSession, status: int = 200, **context: Any) -> Response[str]:
    values = {"problem": None, "errors": {}, "error_count": 0, "report": None, "planned": None, "digest": None, "file_name": "",
              "applied": False, **context}
    return admin_page(request, "admin/import.html", session, status, section="import", sections=SECTION_NAMES,
                      subjects=SUBJECT_NAMES, shown=SHOWN, **values)


def _refused(request: Request, session: StaffSession, failure: ValidationFailed, file_name: str) -> Response[str]:
    """Every problem with its JSON path, in the visitor's language (the page shows the first few hundred)."""
    return _page(request, session, 422, errors=field_messages(request, failure.errors), error_count=len(failure.errors), file_name=file_name)


async def _uploaded(request: Request) -> tuple[str, bytes]:
    """The chosen file's name and bytes: UTF-8 text, not empty (a UTF-8 byte order mark is dropped)."""
    upload = (await request.form()).get("file")
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
    return (upload.filename or "")[:200], content


async def _keep(staff_auth: StaffAuth, session: StaffSession, upload: dict[str, Any] | None) -> None:
    """Hold (or, with None, drop) the upload in the session; a new one replaces the last."""
    if upload is None and PENDING not in session.pending:
        return
    session.pending = {key: value for key, value in session.pending.items() if key != PENDING}
    if upload is not None:
        session.pending[PENDING] = upload
    await staff_auth.sessions.remember(session)


@get("/admin/importeren", include_in_schema=False, guards=[requires(Permission.IMPORT_APPLY)])
async def upload_form(request: Request) -> Response[str]:
    """The upload form, with the format in brief."""
    return _page(request, await session_of(request))


@post("/admin/importeren", include_in_schema=False, guards=[requires(Permission.IMPORT_APPLY)])
async def preview(request: Request, api: NamedDependency[ApiContext], staff_auth: NamedDependency[StaffAuth]) -> Response[str]:
    """Check the whole file against the registry in a dry run (nothing is written) and show what it would do."""
    session = await session_of(request)
    try:
        await checked_form(request, session)
    except RequestEntityTooLarge:
        # The body is refused before its CSRF token can be read; this page changes nothing.
        return _page(request, session, 413, problem=N_("The file is larger than 5 MB. Split it into smaller files and import them one after another."))
    try:
        file_name, content = await _uploaded(request)
    except UploadRefused as refusal:
        return _page(request, session, 400, problem=str(refusal))
    actor = actor_of(request, session)
    try:
        report = await import_document(api.engine, content, actor, apply=False)
    except ValidationFailed as failure:
        await _keep(staff_auth, session, None)
        return _refused(request, session, failure, file_name)
    if not _changes(report):
        await _keep(staff_auth, session, None)
        return _page(request, session, report=report, file_name=file_name)
    digest = hashlib.sha256(content).hexdigest()
    await _keep(staff_auth, session, {"sha256": digest, "name": file_name, "content": content.decode("utf-8")})
    planned = await planned_changes(api.engine, content, actor)
    return _page(request, session, report=report, planned=planned, digest=digest, file_name=file_name)


@post("/admin/importeren/uitvoeren", include_in_schema=False, guards=[requires(Permission.IMPORT_APPLY)])
async def apply(request: Request, api: NamedDependency[ApiContext], staff_auth: NamedDependency[StaffAuth]) -> Response[str]:
    """Import the previewed bytes, checked again against the registry as it is now."""
    session = await session_of(request)
    form = await checked_form(request, session)
    held = session.pending.get(PENDING) or {}
    if not held or form.get("sha256") != held.get("sha256"):
        return _page(request, session, 409, problem=N_("This preview is no longer available. Upload the file again."))
    if held.get("applied"):
        return _page(request, session, 409, problem=N_("This file has already been imported. Upload it again to check it against the registry as it is now."))
    content = held["content"].encode("utf-8")
    try:
        report = await import_document(api.engine, content, actor_of(request, session), apply=True)
    except ValidationFailed as failure:
        # The registry changed after the preview; the staff member sees why and starts again.
        await _keep(staff_auth, session, None)
        return _refused(request, session, failure, held["name"])
    # Only the fact is kept: a second press of the button (or a reload) imports nothing twice.
    await _keep(staff_auth, session, {"sha256": held["sha256"], "name": held["name"], "applied": True})
    return _page(request, session, report=report, file_name=held["name"], applied=True)


def _changes(report: ImportReport) -> bool:
    return bool(sum(report.created.values()) + sum(report.updated.values()) + report.decisions_recorded)


ROUTES = [upload_form, preview, apply]
