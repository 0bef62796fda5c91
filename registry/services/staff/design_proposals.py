"""Four eyes for a programme's new design that only an override of the care standard lets in: kept as a proposal, recorded on approval.

A design that meets the standard (or that the standard does not check) is recorded at once, as before. A design that
needs the admin's override reason becomes a proposal in `decision_proposal` (kind `design`, the design's fields as its
`fields`, no reference) and changes no answer; an approving admin records it through the import's checks, again as
they stand then, with the approver as the one who recorded it and the proposer in its audit event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
from piccolo.engine.base import Engine

from registry import rules
from registry.clock import utc_now
from registry.messages import N_
from registry.services.audit import Actor, AuditAction, AuditEntry, record_events
from registry.services.errors import FieldError, ValidationFailed
from registry.services.imports.plan import ImportPlan, plan_in
from registry.services.imports.write import write_plan
from registry.services.sql import Writer, writing
from registry.services.staff import queries
from registry.services.staff.decisions import care_standard_now

if TYPE_CHECKING:
    from registry.services.staff.proposals import Proposal

DESIGN = "design"  # the proposal kind of a new design version
DESIGN_PATH = "programmes[0].designs[0]"
CARE_STANDARD_CODE = "care_standard"  # the FieldError code of a refusal by the care standard (imports.designs.design_error)


def _document(code: str, values: dict[str, Any]) -> bytes:
    return msgspec.json.encode({"programmes": [{"code": code, "designs": [values]}]})


def needs_override(errors: list[FieldError]) -> bool:
    """Whether the checks of a design without its override reason refused it by the care standard (and so only the override lets it in)."""
    return any(error.code == CARE_STANDARD_CODE and error.field.startswith(DESIGN_PATH) for error in errors)


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


async def _write(writer: Writer, plan: ImportPlan, actor: Actor, moment: dt.datetime, proposed_by: str | None = None) -> None:
    if not plan.designs.new:
        raise ValidationFailed([FieldError.said(DESIGN_PATH, N_("this design has already been recorded"), "already_recorded")])
    await write_plan(writer, plan, actor, _no_progress, moment, proposed_by)


async def add_design(engine: Engine, actor: Actor, code: str, values: dict[str, Any], now: dt.datetime | None = None) -> int | None:
    """Record a new design with an override reason, or keep it as a proposal when only the override lets it in.

    Returns the proposal's number, or None when the design was recorded. Raises ValidationFailed (nothing kept).
    """
    moment = now or utc_now()
    plain = {name: value for name, value in values.items() if name != rules.OVERRIDE_FIELD}
    async with writing(engine) as writer:
        _unused, without = await plan_in(writer, _document(code, plain), actor, moment)
        plan, errors = await plan_in(writer, _document(code, values), actor, moment)
        if errors:
            raise ValidationFailed(errors)
        if not needs_override(without):
            await _write(writer, plan, actor, moment)
            return None
        stored = {name: value for name, value in values.items() if value not in (None, "")}
        for row in await writer.fetch_all(queries.PROPOSALS_OF_SUBJECT, "programme", code):
            same_day = msgspec.json.decode(row["fields"]).get("effective_from") == stored.get("effective_from")
            if row["kind"] == DESIGN and row["state"] == "pending" and same_day:
                raise ValidationFailed([FieldError.said(f"{DESIGN_PATH}.effective_from",
                                                        N_("a design from this date is already waiting for approval (proposal %(number)s)"),
                                                        "proposal_waiting", number=str(row["id"]))])
        row = await writer.fetch_row(queries.PROPOSAL_INSERT, "programme", code, DESIGN, "", msgspec.json.encode(stored).decode(),
                                     actor.name, str(actor.role or ""), moment)
        await record_events(writer, actor, [AuditEntry(AuditAction.PROPOSAL_CREATE, "programme", code, None,
                                                       {"proposal": row["id"], "kind": DESIGN, **stored})], moment)
    return int(row["id"])


async def record_approved(writer: Writer, actor: Actor, proposal: "Proposal", moment: dt.datetime) -> None:
    """Record an approved design proposal as the approver's, checked as it would be now; raises ValidationFailed (a refusal then)."""
    plan, errors = await plan_in(writer, _document(proposal.subject_code, proposal.fields), actor, moment)
    if errors:
        raise ValidationFailed(errors)
    await _write(writer, plan, actor, moment, proposal.proposed_by)


@dataclass(frozen=True, slots=True)
class DesignFacts:
    """What an approver of a design proposal sees: the design, what it replaces, how far it falls short, the standard's dates."""

    effective_from: dt.date
    sessions: int
    contact_minutes: int
    override_reason: str
    shortfall: rules.Shortfall | None
    minimum: rules.CareStandardMinimum | None
    dates: rules.CareStandardDates
    replaces: rules.DesignVersion | None  # the design in force from that day as recorded now


async def facts(reader: Writer, proposal: "Proposal", programme: dict[str, Any]) -> DesignFacts:
    """The facts of a design proposal on a programme (its stored record, as `records.record_detail` gives it)."""
    fields = proposal.fields
    effective_from = dt.date.fromisoformat(str(fields["effective_from"]))
    sessions, minutes = int(fields["sessions"]), int(fields["contact_minutes"])
    guidance_type, programme_format = programme.get("guidance_type"), programme.get("format")
    shortfall = minimum = None
    if guidance_type and programme_format:
        minimum = rules.CARE_STANDARD_MINIMUMS[(rules.GuidanceType(guidance_type), rules.ProgrammeFormat(programme_format))]
        shortfall = rules.care_standard_shortfall(guidance_type, programme_format, sessions, minutes)
    versions = [rules.DesignVersion(d["effective_from"], d["sessions"], d["contact_minutes"], d["recorded_at"], d["id"])
                for d in programme.get("designs", [])]
    return DesignFacts(effective_from, sessions, minutes, str(fields.get(rules.OVERRIDE_FIELD) or ""), shortfall, minimum,
                       await care_standard_now(reader), rules.design_in_force(versions, effective_from))
