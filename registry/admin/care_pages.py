"""Staff pages of the care standard: a programme's new design from a date, and the standard's dates (admins)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from registry import rules
from registry.admin import record_forms
from registry.admin.context import AppContext
from registry.admin.guards import requires
from registry.admin.records import RECORD_MISSING, record_of, record_page_context
from registry.admin.support import StaffController, StaffPages
from registry.messages import N_
from registry.roles import Permission, allows
from registry.services.audit import Actor
from registry.services.errors import FieldError, Refusal, ValidationFailed
from registry.services.sql import reading
from registry.services.staff import care_standard, design_proposals
from registry.services.staff import records as staff_records
from registry.services.staff.records import KINDS
from registry.services.staff.sessions import StaffSession

CARE_LABELS = {"in_force_from": N_("In force from"), "strict_from": N_("Strictly enforced from"), "reason": N_("Reason for the change")}


class ProgrammeDesignsController(StaffController):
    """A programme's design history: a new design counts from its first day of care, never an edit in place."""

    path = "/admin/programmas"

    @post("/{code:str}/ontwerp", guards=[requires(Permission.RECORDS_WRITE)])
    async def add_design(self, code: FromPath[str], app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                         session: NamedDependency[StaffSession], form: NamedDependency[FormMultiDict],
                         actor: NamedDependency[Actor]) -> Response[Any]:
        """Append a design version (with four eyes, one that needs the override becomes a proposal); a refusal names the shortfall."""
        kind = KINDS["programme"]
        record = await record_of(app_context, kind, code)
        if record is None:
            return page.not_found(RECORD_MISSING)
        values, problems = record_forms.design_values(form, allows(session.role, Permission.OVERRIDE_CARE_STANDARD))
        typed = {f"design-{name}": value for name, value in form.items() if isinstance(value, str)}
        page.unsaved_shows("admin/record.html", **record_page_context(kind, record, open_form="design", values=typed))
        try:
            if problems:
                raise ValidationFailed(problems)
            if app_context.settings.four_eyes and values.get(rules.OVERRIDE_FIELD):
                # Four eyes: a design only the override lets in waits for another admin; one that meets the standard is recorded.
                number = await design_proposals.add_design(app_context.engine, actor, record["code"], values)
                if number is not None:
                    return Redirect(f"/admin/voorstellen/{number}?gelukt=voorgesteld", status_code=303)
            else:
                await staff_records.save_design(app_context.engine, actor, record["code"], values)
        except ValidationFailed as failure:
            messages = page.messages(failure.errors, "programmes[0].designs[0].")
            errors = {f"design-{name.removeprefix('programmes[0].')}": text for name, text in messages.items()}
            return page("admin/record.html", 400, **record_page_context(kind, record, open_form="design", errors=errors, values=typed))
        await app_context.api.index.catch_up()
        return Redirect(f"/admin/programmas/{record['code']}?gelukt=ontwerp", status_code=303)


class CareStandardController(StaffController):
    """The care standard's dates: when it is in force and when it is strictly enforced, versioned like everything the rules read."""

    path = "/admin/zorgstandaard"

    async def _page(self, app_context: AppContext, page: StaffPages, status: int = 200, **context: Any) -> Response[str]:
        async with reading(app_context.engine) as reader:
            rows = await care_standard.versions(reader)
        now = care_standard.dates_of(rows).as_known_at()
        values = context.pop("values", None) or {"in_force_from": record_forms.shown_date(now.in_force_from),
                                                 "strict_from": record_forms.shown_date(now.strict_from), "reason": ""}
        return page("admin/care_standard.html", status, section="care_standard", versions=list(reversed(rows)), now=now,
                    defaults=rules.DEFAULT_CARE_STANDARD_DATES, minimums=rules.CARE_STANDARD_MINIMUMS, values=values,
                    labels=CARE_LABELS, errors=context.pop("errors", {}), done=context.pop("done", None), **context)

    @get("/", guards=[requires(Permission.REGISTRY_READ)])
    async def show(self, request: Request, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages]) -> Response[str]:
        """The dates in force, their history and (for admins) the form to change them."""
        return await self._page(app_context, page, done=request.query_params.get("gelukt"))

    @post("/", guards=[requires(Permission.CARE_STANDARD_MANAGE)])
    async def change(self, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                     form: NamedDependency[FormMultiDict], actor: NamedDependency[Actor]) -> Response[Any]:
        """Record new dates as a new version with its audit event."""
        typed = {name: (form.get(name) or "").strip() if isinstance(form.get(name), str) else "" for name in CARE_LABELS}
        raw: dict[str, Any] = {"reason": typed["reason"]}
        problems: list[FieldError] = []
        for name in ("in_force_from", "strict_from"):
            try:
                raw[name] = record_forms.parse_date(typed[name])
            except Refusal as problem:
                problems.append(FieldError(f"care_standard.{name}", str(problem), "invalid", problem.template, problem.params))
        try:
            if problems:
                raise ValidationFailed(problems)
            await care_standard.change(app_context.engine, actor, raw)
        except ValidationFailed as failure:
            return await self._page(app_context, page, 400, values=typed, errors=page.messages(failure.errors, "care_standard."))
        await app_context.api.index.catch_up()
        return Redirect("/admin/zorgstandaard?gelukt=opgeslagen", status_code=303)


CONTROLLERS = [ProgrammeDesignsController, CareStandardController]
