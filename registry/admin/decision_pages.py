"""Staff forms that record decisions (grant, suspend, lift, revoke, retract) and a coach's completed trainings."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from registry.admin import record_forms
from registry.admin.records import record_missing, record_of
from registry.admin.support import actor_of, admin_page, checked_post, field_messages, requires, session_of, unsaved_for_now
from registry.api.context import ApiContext
from registry.messages import N_
from registry.outages import database_unavailable
from registry.roles import Permission, allows
from registry.rules import DECISION_COMMON_FIELDS, DECISION_KIND_FIELDS, DecisionKind
from registry.services.errors import EditConflict, FieldError, ValidationFailed
from registry.services.staff import records as staff_records
from registry.services.staff.records import KINDS, RecordKind

# Undoing these is not possible (a revocation can only be retracted, a retraction not at all): ask first.
CONFIRMED_KINDS = {DecisionKind.REVOKE, DecisionKind.RETRACT}


def _record_page(request: Request, session: Any, kind: RecordKind, record: dict[str, Any], status: int, **context: Any) -> Response[str]:
    return admin_page(request, "admin/record.html", session, status, section=kind.section, kind=kind, fields=record_forms.FIELDS[kind.kind],
                      record=record, done=None, qualification_fields=record_forms.QUALIFICATION_FIELDS,
                      shown_date=record_forms.shown_date, **{"open_form": None, "errors": {}, "values": {}, **context})


def decision_route(kind: RecordKind) -> Any:
    """POST a decision on one kind of subject."""

    @post(f"/admin/{kind.slug}/{{code:str}}/besluiten", name=f"admin-{kind.slug}-decide", include_in_schema=False,
          guards=[requires(Permission.DECISIONS_RECORD)])
    async def decide(request: Request, code: FromPath[str], api: NamedDependency[ApiContext]) -> Response[Any]:
        """Check the decision; revocations and retractions are shown for confirmation before they are recorded."""
        session = await session_of(request)
        form = await checked_post(request, session)
        record = await record_of(api, kind, code)
        if record is None:
            return record_missing(request)
        raw_kind = form.get("kind")
        if raw_kind not in tuple(DecisionKind):
            return _record_page(request, session, kind, record, 400)
        decision_kind = DecisionKind(raw_kind)
        may_override = allows(session.role, Permission.OVERRIDE_CARE_STANDARD)
        values, problems = record_forms.decision_values(form, decision_kind, may_override)
        actor = actor_of(request, session)
        confirmed = form.get("bevestigd") == "ja"
        # What was typed, keyed as the page's form fields, for showing the form again.
        typed = {f"{decision_kind}-{name}": value for name, value in form.items() if isinstance(value, str)}
        try:
            if problems:
                raise ValidationFailed(problems)
            if decision_kind in CONFIRMED_KINDS and not confirmed:
                # A dry run: every check, nothing kept, so the confirmation page never asks about a refused decision.
                await staff_records.record_decision(api.engine, actor, kind.kind, record["code"], values, apply=False)
                return admin_page(request, "admin/confirm_decision.html", session, section=kind.section, kind=kind, record=record,
                                  decision_kind=str(decision_kind), values=values, shown_date=record_forms.shown_date,
                                  target=next((d for d in record["decisions"] if d["reference"] == values.get("target")), None))
            await staff_records.record_decision(api.engine, actor, kind.kind, record["code"], values)
        except ValidationFailed as failure:
            errors = field_messages(request, failure.errors, "decisions[0].")
            errors = {(f"{decision_kind}-{name}" if name in values or name in _FORM_FIELDS else name): text for name, text in errors.items()}
            return _record_page(request, session, kind, record, 400, open_form=str(decision_kind), errors=errors, values=typed)
        except Exception as error:
            if not database_unavailable(error):
                raise
            return unsaved_for_now(_record_page(request, session, kind, record, 503, open_form=str(decision_kind), database_away=True,
                                                values=typed))
        return Redirect(f"/admin/{kind.slug}/{record['code']}?gelukt=besluit", status_code=303)

    return decide


_FORM_FIELDS = {*DECISION_COMMON_FIELDS, *DECISION_KIND_FIELDS}


@post("/admin/coaches/{code:str}/opleidingen", name="admin-coach-qualification", include_in_schema=False,
      guards=[requires(Permission.RECORDS_WRITE)])
async def add_qualification(request: Request, code: FromPath[str], api: NamedDependency[ApiContext]) -> Response[Any]:
    """Record a completed training of a coach (again for the same training: corrects date and certificate)."""
    session = await session_of(request)
    form = await checked_post(request, session)
    kind = KINDS["coach"]
    record = await record_of(api, kind, code)
    if record is None:
        return record_missing(request)
    values, problems = record_forms.qualification_values(form)
    version = record_forms.form_version(form, missing=None)
    try:
        if problems:
            raise ValidationFailed(problems)
        await staff_records.save_qualification(api.engine, actor_of(request, session), record["code"], values, version)
    except ValidationFailed as failure:
        errors = {f"qualification-{name}": text for name, text in field_messages(request, failure.errors, "qualifications[0].").items()}
        return _record_page(request, session, kind, record, 400, open_form="qualification", errors=errors,
                            values={f"qualification-{name}": value for name, value in form.items() if isinstance(value, str)})
    except EditConflict:
        changed = FieldError.said("qualification-training", N_("Someone else changed this completed training meanwhile. "
                                                               "Check the current values below and try again."))
        return _record_page(request, session, kind, await record_of(api, kind, code) or record, 409, open_form="qualification",
                            errors=field_messages(request, [changed]))
    return Redirect(f"/admin/coaches/{record['code']}?gelukt=opleiding", status_code=303)


ROUTES = [*(decision_route(kind) for kind in KINDS.values() if kind.has_decisions), add_qualification]
