"""Staff forms that record decisions (grant, suspend, lift, revoke, retract) and a coach's completed trainings."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlencode

from litestar import Response, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from registry.admin import record_forms
from registry.admin.context import AppContext
from registry.admin.guards import requires
from registry.admin.records import RECORD_MISSING, record_of, record_page_context
from registry.admin.support import StaffController, StaffPages
from registry.messages import N_
from registry.public import labels
from registry.roles import Permission, allows
from registry.rules import DECISION_COMMON_FIELDS, DECISION_KIND_FIELDS, OVERRIDE_FIELD, DecisionKind, needs_second_person
from registry.services.audit import Actor
from registry.services.errors import EditConflict, FieldError, ValidationFailed
from registry.services.public import read as public_read
from registry.services.staff import proposals
from registry.services.staff import records as staff_records
from registry.services.staff import references as staff_references
from registry.services.staff.records import KINDS, RecordKind
from registry.services.staff.sessions import StaffSession

# Undoing these is not possible (a revocation can only be retracted, a retraction not at all): ask first.
# Kinds that cannot be undone are confirmed on a check page first: the ones with a confirmation text.
CONFIRMED_KINDS = {kind for kind, wording in labels.DECISION_WORDING.items() if wording.confirmation}
_FORM_FIELDS = {*DECISION_COMMON_FIELDS, *DECISION_KIND_FIELDS}


def _record_page(page: StaffPages, kind: RecordKind, record: dict[str, Any], status: int, **context: Any) -> Response[str]:
    return page("admin/record.html", status, **record_page_context(kind, record, **context))


class DecisionsController(StaffController):
    """Decisions on one kind of subject; decisions_controller makes one per kind that has them."""

    kind: ClassVar[RecordKind]

    @post("/{code:str}/besluiten", guards=[requires(Permission.DECISIONS_RECORD)])
    async def decide(self, code: FromPath[str], app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                     session: NamedDependency[StaffSession], form: NamedDependency[FormMultiDict],
                     actor: NamedDependency[Actor]) -> Response[Any]:
        """Check the decision; revocations and retractions are shown for confirmation before they are recorded."""
        kind = self.kind
        record = await record_of(app_context, kind, code)
        if record is None:
            return page.not_found(RECORD_MISSING)
        raw_kind = form.get("kind")
        if raw_kind not in tuple(DecisionKind):
            return _record_page(page, kind, record, 400)
        decision_kind = DecisionKind(raw_kind)
        may_override = allows(session.role, Permission.OVERRIDE_CARE_STANDARD)
        values, problems = record_forms.decision_values(form, decision_kind, may_override)
        confirmed = form.get("bevestigd") == "ja"
        # What was typed, keyed as the page's form fields, for showing the form again.
        typed = {f"{decision_kind}-{name}": value for name, value in form.items() if isinstance(value, str)}
        page.unsaved_shows("admin/record.html", **record_page_context(kind, record, open_form=str(decision_kind), values=typed))
        try:
            if problems:
                raise ValidationFailed(problems)
            if app_context.settings.four_eyes and needs_second_person(decision_kind, values.get(OVERRIDE_FIELD)):
                # Four eyes: kept as a proposal, checked as if recorded now; the approval is the check page.
                number = await proposals.propose(app_context.engine, actor, kind.kind, record["code"], values)
                return Redirect(f"/admin/voorstellen/{number}?gelukt=voorgesteld", status_code=303)
            if decision_kind in CONFIRMED_KINDS and not confirmed:
                # A dry run: every check, nothing kept, so the confirmation page never asks about a refused decision.
                await staff_records.record_decision(app_context.engine, actor, kind.kind, record["code"], values, apply=False)
                return page("admin/confirm_decision.html", section=kind.section, kind=kind, record=record,
                            decision_kind=str(decision_kind), values=values, shown_date=record_forms.shown_date,
                            target=next((d for d in record["decisions"] if d["reference"] == values.get("target")), None))
            await staff_records.record_decision(app_context.engine, actor, kind.kind, record["code"], values)
        except ValidationFailed as failure:
            # Someone took the reference meanwhile (or typed a used one): the message names the next free one.
            named = await staff_references.naming_next_free(app_context.engine, failure.errors, public_read.today())
            errors = page.messages(named, "decisions[0].")
            errors = {(f"{decision_kind}-{name}" if name in values or name in _FORM_FIELDS else name): text for name, text in errors.items()}
            return _record_page(page, kind, record, 400, open_form=str(decision_kind), errors=errors, values=typed)
        query = urlencode({"gelukt": str(decision_kind), "besluit": values.get("reference", "")})
        return Redirect(f"/admin/{kind.slug}/{record['code']}?{query}", status_code=303)


def decisions_controller(kind: RecordKind) -> type[DecisionsController]:
    """The decisions controller of one kind, under /admin/<slug>."""
    return type(f"{kind.kind.title()}DecisionsController", (DecisionsController,), {"path": f"/admin/{kind.slug}", "kind": kind})


class CoachTrainingsController(StaffController):
    """A coach's completed trainings."""

    path = "/admin/coaches"

    @post("/{code:str}/opleidingen", guards=[requires(Permission.RECORDS_WRITE)])
    async def add_qualification(self, code: FromPath[str], app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages],
                                form: NamedDependency[FormMultiDict], actor: NamedDependency[Actor]) -> Response[Any]:
        """Record a completed training of a coach (again for the same training: corrects date and certificate)."""
        kind = KINDS["coach"]
        record = await record_of(app_context, kind, code)
        if record is None:
            return page.not_found(RECORD_MISSING)
        values, problems = record_forms.qualification_values(form)
        version = record_forms.form_version(form, missing=None)
        try:
            if problems:
                raise ValidationFailed(problems)
            await staff_records.save_qualification(app_context.engine, actor, record["code"], values, version)
        except ValidationFailed as failure:
            errors = {f"qualification-{name}": text for name, text in page.messages(failure.errors, "qualifications[0].").items()}
            return _record_page(page, kind, record, 400, open_form="qualification", errors=errors,
                                values={f"qualification-{name}": value for name, value in form.items() if isinstance(value, str)})
        except EditConflict:
            changed = FieldError.said("qualification-training", N_("Someone else changed this completed training meanwhile. "
                                                                   "Check the current values below and try again."))
            return _record_page(page, kind, await record_of(app_context, kind, code) or record, 409, open_form="qualification",
                                errors=page.messages([changed]))
        return Redirect(f"/admin/coaches/{record['code']}?gelukt=opleiding", status_code=303)

    @post("/{code:str}/opleidingen/{training:str}/intrekken", guards=[requires(Permission.RECORDS_WRITE)])
    async def withdraw_qualification(self, code: FromPath[str], training: FromPath[str], app_context: NamedDependency[AppContext],
                                     page: NamedDependency[StaffPages], form: NamedDependency[FormMultiDict],
                                     actor: NamedDependency[Actor]) -> Response[Any]:
        """Withdraw a completed training after a confirmation, since it changes answers about the coach from now on."""
        kind = KINDS["coach"]
        record = await record_of(app_context, kind, code)
        qualification = next((q for q in (record or {}).get("qualifications", []) if q["training_code"] == training.upper()), None)
        if record is None or qualification is None:
            return page.not_found(RECORD_MISSING)
        version = record_forms.form_version(form, missing=None)
        try:
            if qualification["withdrawn"]:
                raise ValidationFailed([FieldError.said("withdrawn", N_("this completed training has already been withdrawn"), "already_withdrawn")])
            if form.get("bevestigd") != "ja":
                return page("admin/confirm_withdrawal.html", kind=kind, record=record, qualification=qualification)
            await staff_records.withdraw_qualification(app_context.engine, actor, record["code"], qualification["training_code"], version)
        except ValidationFailed as failure:
            errors = {"qualification-training": " ".join(page.messages(failure.errors, "qualifications[0].").values())}
            return _record_page(page, kind, await record_of(app_context, kind, code) or record, 409, errors=errors)
        except EditConflict:
            changed = FieldError.said("qualification-training", N_("Someone else changed this completed training meanwhile. "
                                                                   "Check the current values below and try again."))
            return _record_page(page, kind, await record_of(app_context, kind, code) or record, 409, errors=page.messages([changed]))
        return Redirect(f"/admin/coaches/{record['code']}?gelukt=ingetrokken", status_code=303)


CONTROLLERS = [*(decisions_controller(kind) for kind in KINDS.values() if kind.has_decisions), CoachTrainingsController]
