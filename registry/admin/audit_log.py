"""The audit log for staff: filter and page through events, download them as CSV, check the hash chain."""

from __future__ import annotations

import csv
import io
from typing import Any, AsyncIterator
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.response import Stream

from registry.admin.context import AppContext
from registry.admin.guards import requires
from registry.admin.support import StaffController, StaffPages
from registry.csv_cells import BYTE_ORDER_MARK
from registry.i18n import translations
from registry.messages import N_
from registry.public.check_page import OUT_OF_RANGE, parse_day
from registry.public.page_support import language_of
from registry.roles import Permission
from registry.services.audit import AuditAction
from registry.services.audit_check import check_audit
from registry.services.errors import FieldError
from registry.services.public import read as public_read
from registry.services.sql import reading
from registry.services.staff import audit_read
from registry.services.staff.users import staff_names
from registry.services.values import accepted_day

TEXT_LIMIT = 200
FILTER_FIELDS = ("persoon", "soort", "code", "gebeurtenis", "van", "tot")
# The covered tables as the chain page names them.
TABLE_WORDS = {
    "organisation": N_("Organisation"),
    "training": N_("Training"),
    "programme": N_("Programme"),
    "coach": N_("Coach"),
    "qualification": N_("Qualification"),
    "decision": N_("Decision"),
}
ACTION_WORDS = {
    AuditAction.ORGANISATION_CREATE: N_("Organisation created"),
    AuditAction.ORGANISATION_UPDATE: N_("Organisation changed"),
    AuditAction.TRAINING_CREATE: N_("Training created"),
    AuditAction.TRAINING_UPDATE: N_("Training changed"),
    AuditAction.PROGRAMME_CREATE: N_("Programme created"),
    AuditAction.PROGRAMME_UPDATE: N_("Programme changed"),
    AuditAction.PROGRAMME_DESIGN_RECORD: N_("Programme design added"),
    AuditAction.CARE_STANDARD_CHANGE: N_("Care standard dates changed"),
    AuditAction.COACH_CREATE: N_("Coach created"),
    AuditAction.COACH_UPDATE: N_("Coach changed"),
    AuditAction.QUALIFICATION_CREATE: N_("Completed training added"),
    AuditAction.PROPOSAL_CREATE: N_("Decision proposed"),
    AuditAction.PROPOSAL_APPROVE: N_("Proposal approved"),
    AuditAction.PROPOSAL_REJECT: N_("Proposal rejected"),
    AuditAction.QUALIFICATION_UPDATE: N_("Completed training changed"),
    AuditAction.QUALIFICATION_WITHDRAW: N_("Completed training withdrawn"),
    AuditAction.DECISION_RECORD: N_("Decision recorded"),
    AuditAction.IMPORT_APPLY: N_("Import applied"),
    AuditAction.STAFF_USER_CREATE: N_("Staff member created"),
    AuditAction.STAFF_USER_UPDATE: N_("Staff member changed"),
    AuditAction.INVITATION_ISSUE: N_("Invitation link made"),
    AuditAction.INVITATION_REISSUE: N_("New invitation link made"),
    AuditAction.INVITATION_ACCEPT: N_("Invitation link used: password chosen"),
    AuditAction.SESSION_START: N_("Signed in"),
    AuditAction.SESSION_END: N_("Signed out"),
    AuditAction.SIGN_IN_REFUSE: N_("Sign-in refused"),
    AuditAction.API_CLIENT_CREATE: N_("API client created"),
    AuditAction.API_CLIENT_ROTATE_SECRET: N_("API client given a new secret"),
    AuditAction.API_CLIENT_DISABLE: N_("API client disabled"),
}
SUBJECT_KIND_WORDS = {
    "organisation": N_("Organisation"),
    "training": N_("Training"),
    "programme": N_("Programme"),
    "coach": N_("Coach"),
    "care_standard": N_("Care standard"),
    "api_client": N_("API client"),
    "staff_user": N_("Staff member"),
}
# Records with a staff page of their own; the others are shown by code only.
SUBJECT_PATHS = {"programme": "/admin/programmas/", "coach": "/admin/coaches/", "training": "/admin/opleidingen/",
                 "organisation": "/admin/organisaties/"}
# The stored fields of events in words; a key not listed is shown as it is stored.
FIELD_WORDS = {
    "name": N_("Name"), "code": N_("Code"), "city": N_("City"), "cities": N_("Places"), "organisation": N_("Organisation"),
    "guidance_type": N_("Guidance type"), "guidance_types": N_("Guidance types"), "format": N_("Format"), "formats": N_("Formats"),
    "modes": N_("Delivery modes"), "sessions": N_("Sessions"), "contact_minutes": N_("Contact minutes"),
    "registration_number": N_("Registration number"), "initials": N_("Initials"), "prefix": N_("Prefix"), "surname": N_("Surname"),
    "agb_code": N_("AGB code"), "big_number": N_("BIG number"), "kvk_number": N_("KvK number"), "email": N_("E-mail"),
    "phone": N_("Phone"), "internal_note": N_("Internal note"), "training": N_("Training"), "coach": N_("Coach"),
    "completed_on": N_("Completed on"), "certificate": N_("Certificate number"), "id": N_("Number"), "kind": N_("Decision"),
    "starts_on": N_("From"), "ends_on": N_("Up to and including"), "target_id": N_("Names decision number"),
    "reference": N_("Decision reference"), "reason": N_("Public explanation"), "override_reason": N_("Care standard override"),
    "proposed_by": N_("Proposed by"), "proposal": N_("Proposal"), "decision": N_("Decision number"),
    "rejection_reason": N_("Reason for rejecting"), "role": N_("Role"), "active": N_("Active"), "username": N_("Username"),
    "display_name": N_("Name"), "client_id": N_("Client id"), "version": N_("Version"), "valid_until": N_("Valid until"),
    "password": N_("Password"), "must_change_password": N_("Must choose a password"),
}
LABELS = {
    "persoon": N_("Person"),
    "soort": N_("Kind of record"),
    "code": N_("Code of the record"),
    "gebeurtenis": N_("Kind of event"),
    "van": N_("From (date)"),
    "tot": N_("Up to and including (date)"),
}


def read_filter(request: Request) -> tuple[audit_read.AuditFilter, dict[str, str], list[FieldError]]:
    """The filter from the query string, what was typed (to show it again), and every field's problem."""
    asked = {name: (request.query_params.get(name) or "").strip() for name in FILTER_FIELDS}
    errors: list[FieldError] = []
    for name in ("persoon", "code"):
        if len(asked[name]) > TEXT_LIMIT:
            errors.append(FieldError.said(name, N_("Use at most 200 characters.")))
    for name, allowed in (("soort", audit_read.SUBJECT_KINDS), ("gebeurtenis", set(AuditAction))):
        if asked[name] and asked[name] not in allowed:
            errors.append(FieldError.said(name, N_("Choose one of the options.")))
    days = {name: parse_day(asked[name]) for name in ("van", "tot") if asked[name]}
    errors.extend(FieldError.said(name, N_("Enter a real date, for example 14-03-2026.")) for name, day in days.items() if day is None)
    # Beyond these years the period's bounds cannot be turned into moments (a day after 31-12-9999 does not exist).
    errors.extend(FieldError.said(name, OUT_OF_RANGE) for name, day in days.items() if day and not accepted_day(day))
    if (van := days.get("van")) and (tot := days.get("tot")) and van > tot:
        errors.append(FieldError.said("van", N_("The from date is after the up to and including date.")))
    if errors:
        return audit_read.AuditFilter(), asked, errors
    chosen = audit_read.AuditFilter(asked["persoon"], asked["soort"] or None, asked["code"], asked["gebeurtenis"] or None,
                                    days.get("van"), days.get("tot"))
    return chosen, asked, errors


def _cursor(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name) or ""
    # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None


def _link(path: str, asked: dict[str, str], **cursor: int) -> str:
    kept = [(name, value) for name, value in asked.items() if value] + list(cursor.items())
    return f"{path}?{urlencode(kept)}" if kept else path


def _log_page(request: Request, page: StaffPages, asked: dict[str, str], errors: list[FieldError],
              found: audit_read.AuditPage | None, people: dict[str, str]) -> Response[str]:
    gettext = translations(language_of(request)).gettext
    return page(
        "admin/audit_log.html", 400 if errors else 200, section="audit",
        asked=asked, errors=page.messages(errors), labels={name: gettext(text) for name, text in LABELS.items()},
        found=found, action_words=ACTION_WORDS, field_words=FIELD_WORDS, people=people, subject_kinds=SUBJECT_KIND_WORDS, subject_paths=SUBJECT_PATHS,
        kind_options=list(SUBJECT_KIND_WORDS.items()), action_options=[(str(action), word) for action, word in ACTION_WORDS.items()],
        older=_link("/admin/audit", asked, voor=found.older_than) if found and found.older_than else None,
        newer=_link("/admin/audit", asked, na=found.newer_than) if found and found.newer_than else None,
        newest=_link("/admin/audit", asked), csv_link=_link("/admin/audit.csv", asked), csv_limit=audit_read.CSV_LIMIT,
    )


async def _csv_lines(batches: AsyncIterator[list[list[str]]]) -> AsyncIterator[bytes]:
    # A byte order mark, so that spreadsheet programs read the file as UTF-8.
    yield BYTE_ORDER_MARK.encode()
    header = io.StringIO()
    csv.writer(header).writerow(audit_read.CSV_HEADER)
    yield header.getvalue().encode()
    async for batch in batches:
        chunk = io.StringIO()
        csv.writer(chunk).writerows(batch)
        yield chunk.getvalue().encode()


class AuditLogController(StaffController):
    """/admin/audit: the events, as pages or CSV, and the check of the hash chain."""

    path = "/admin"

    @get("/audit", guards=[requires(Permission.AUDIT_READ)])
    async def audit_log(self, request: Request, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages]) -> Response[str]:
        """Events newest first, 50 a page, narrowed by person, record, kind of event and period."""
        chosen, asked, errors = read_filter(request)
        found, people = None, {}
        async with reading(app_context.engine) as reader:
            people = await staff_names(reader)
            if not errors:
                found = await audit_read.page(reader, chosen, _cursor(request, "voor"), _cursor(request, "na"))
        return _log_page(request, page, asked, errors, found, people)

    @get("/audit.csv", guards=[requires(Permission.AUDIT_READ)])
    async def audit_csv(self, request: Request, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages]) -> Response[Any]:
        """The same events as CSV, newest first, at most 100,000 events, streamed a batch at a time."""
        chosen, asked, errors = read_filter(request)
        if errors:
            return _log_page(request, page, asked, errors, None, {})
        gettext = translations(language_of(request)).gettext

        def describe(action: str) -> str:
            return gettext(ACTION_WORDS[AuditAction(action)]) if action in ACTION_WORDS else action

        name = f"auditlog-{public_read.today().isoformat()}.csv"
        return Stream(_csv_lines(audit_read.csv_batches(app_context.engine, chosen, describe)), media_type="text/csv",
                      headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @get("/audit/keten", guards=[requires(Permission.AUDIT_READ)])
    async def audit_chain(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages]) -> Response[str]:
        """Check the keyed chain end to end and every decision and record row against its event, as `registry audit verify` does."""
        async with reading(app_context.engine) as reader:
            verdict = await check_audit(reader, app_context.api.settings.chain_key_file)
        return page("admin/audit_chain.html", section="audit", count=verdict.events, broken=verdict.broken, verdict=verdict,
                    table_words=TABLE_WORDS)
