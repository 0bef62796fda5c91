"""Four eyes: decisions that wait for a second staff member (suspend, revoke, retract, care-standard overrides).

A proposal holds the decision's fields and changes no answer. Approval by someone else records the
decision then (its `recorded_at` is the approval's moment, `recorded_by` the approver, `proposed_by`
the proposer), checked again against what the subject has by then; rejection keeps a reason. A new
programme design that needs an override of the care standard is a proposal too (kind `design`,
`design_proposals`), approved and rejected here like the rest.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import msgspec
from piccolo.engine.base import Engine

from registry import rules
from registry.clock import utc_now
from registry.messages import N_
from registry.roles import Role
from registry.services import values as checks
from registry.services.audit import Actor, AuditAction, AuditEntry, record_events
from registry.services.errors import FieldError, NotFound, Refusal, ValidationFailed
from registry.services.sql import Writer, writing
from registry.services.staff import design_proposals, queries
from registry.services.staff.decisions import plan_decisions, read_decision, recording_time, write_decisions


class ProposalState:
    """Where a proposal stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Proposal:
    """A decision waiting for (or given) a second staff member's approval."""

    id: int
    subject_kind: str
    subject_code: str
    kind: str
    reference: str
    fields: dict[str, Any]
    proposed_by: str
    proposed_role: str
    proposed_at: dt.datetime
    state: str
    decided_by: str | None
    decided_at: dt.datetime | None
    rejection_reason: str | None

    @property
    def needs_admin(self) -> bool:
        """A care-standard override (a design proposal always is one) is approved by an admin only."""
        return self.is_design or bool(self.fields.get(rules.OVERRIDE_FIELD))

    @property
    def is_design(self) -> bool:
        """A new programme design rather than a decision."""
        return self.kind == design_proposals.DESIGN


def proposal_from_row(row: dict[str, Any]) -> Proposal:
    """A stored proposal row as a Proposal."""
    return Proposal(row["id"], row["subject_kind"], row["subject_code"], row["kind"], row["reference"], json.loads(row["fields"]),
                    row["proposed_by"], row["proposed_role"], row["proposed_at"], row["state"], row["decided_by"], row["decided_at"],
                    row["rejection_reason"])


def _request(subject_kind: str, code: str, values: dict[str, Any], errors: list[FieldError]):
    return read_decision({"subject": subject_kind, "code": code, **values}, "decisions[0]", errors)


async def propose(engine: Engine, actor: Actor, subject_kind: str, code: str, values: dict[str, Any], now: dt.datetime | None = None) -> int:
    """Check a decision as if it were recorded now and keep it as a proposal; returns its number. Raises ValidationFailed."""
    errors: list[FieldError] = []
    request = _request(subject_kind, code, values, errors)
    if request is None:
        raise ValidationFailed(errors)
    moment = now or utc_now()
    async with writing(engine) as writer:
        plan = await plan_decisions(writer, [request], actor, allow_identical=False, now=moment)
        if await writer.fetch_one(queries.PENDING_REFERENCE, subject_kind, code, request.reference):
            plan.errors.append(FieldError.said("decisions[0].reference", N_("a proposal with reference %(reference)s is already waiting for approval"),
                                               "reference_conflict", reference=request.reference))
        if plan.errors:
            raise ValidationFailed(plan.errors)
        stored = {key: value for key, value in values.items() if value not in (None, "")}
        row = await writer.fetch_row(queries.PROPOSAL_INSERT, subject_kind, code, str(request.kind), request.reference,
                                     msgspec.json.encode(stored).decode(), actor.name, str(actor.role or ""), moment)
        await record_events(writer, actor, [AuditEntry(AuditAction.PROPOSAL_CREATE, subject_kind, code, None,
                                                       {"proposal": row["id"], "kind": str(request.kind), **stored})], moment)
    return int(row["id"])


async def _pending(writer: Writer, proposal_id: int) -> Proposal:
    row = await writer.fetch_one(queries.PROPOSAL_BY_ID, proposal_id)
    if row is None:
        raise NotFound(f"no proposal {proposal_id}")
    proposal = proposal_from_row(row)
    if proposal.state != ProposalState.PENDING:
        raise Refusal(N_("This proposal has already been decided."))
    return proposal


async def approve(engine: Engine, actor: Actor, proposal_id: int, now: dt.datetime | None = None) -> Proposal:
    """Record the proposed decision as the approver's, now; refused to the proposer, and an override to anyone but an admin.

    Raises Refusal (who may not approve, or already decided) or ValidationFailed (the decision no longer fits the subject).
    """
    async with writing(engine) as writer:
        proposal = await _pending(writer, proposal_id)
        if proposal.proposed_by == actor.name:
            raise Refusal(N_("You proposed this decision yourself: another staff member must approve it."))
        if proposal.needs_admin and actor.role is not Role.ADMIN:
            raise Refusal(N_("Only an admin may approve an override of the care standard."))
        moment = await recording_time(writer, now)
        if proposal.is_design:
            # Written with its own audit events (the design's names the proposer); the approval's follows below.
            await design_proposals.record_approved(writer, actor, proposal, moment)
            audit, decision_id = [], None
        else:
            audit, decision_id = await _record_decision(writer, actor, proposal, moment)
        if await writer.fetch_one(queries.PROPOSAL_DECIDE, ProposalState.APPROVED, actor.name, moment, None, decision_id, proposal.id) is None:
            raise Refusal(N_("This proposal has already been decided."))
        named = ({"effective_from": proposal.fields.get("effective_from")} if proposal.is_design
                 else {"reference": proposal.reference, "decision": decision_id})
        audit.append(AuditEntry(AuditAction.PROPOSAL_APPROVE, proposal.subject_kind, proposal.subject_code, None,
                                {"proposal": proposal.id, "kind": proposal.kind, "proposed_by": proposal.proposed_by, **named}))
        await record_events(writer, actor, audit, moment)
    return proposal


async def _record_decision(writer: Writer, actor: Actor, proposal: Proposal, moment: dt.datetime) -> tuple[list[AuditEntry], int | None]:
    """Record a proposed decision as the approver's, checked against the subject as it is now; its audit events and its id."""
    errors: list[FieldError] = []
    request = _request(proposal.subject_kind, proposal.subject_code, proposal.fields, errors)
    if request is None:
        raise ValidationFailed(errors)
    plan = await plan_decisions(writer, [request], actor, allow_identical=False, now=moment)
    if plan.errors:
        raise ValidationFailed(plan.errors)
    audit = await write_decisions(writer, plan.decisions, moment, actor, proposed_by=proposal.proposed_by)
    return audit, audit[0].after["id"] if audit and audit[0].after else None


async def reject(engine: Engine, actor: Actor, proposal_id: int, reason: str, now: dt.datetime | None = None) -> Proposal:
    """Turn a proposal down with a reason (its proposer may withdraw it the same way); nothing is recorded."""
    try:
        reason = checks.text(4000, min_length=0, lines=True)(reason)
    except Refusal as problem:
        raise ValidationFailed([FieldError("rejection_reason", str(problem), "invalid", problem.template, problem.params)]) from None
    if not reason:
        raise ValidationFailed([FieldError.said("rejection_reason", N_("is required"), "required")])
    moment = now or utc_now()
    async with writing(engine) as writer:
        proposal = await _pending(writer, proposal_id)
        if await writer.fetch_one(queries.PROPOSAL_DECIDE, ProposalState.REJECTED, actor.name, moment, reason, None, proposal.id) is None:
            raise Refusal(N_("This proposal has already been decided."))
        await record_events(writer, actor, [AuditEntry(AuditAction.PROPOSAL_REJECT, proposal.subject_kind, proposal.subject_code, None,
                                                       {"proposal": proposal.id, "kind": proposal.kind, "reference": proposal.reference,
                                                        "proposed_by": proposal.proposed_by, "rejection_reason": reason})], moment)
    return proposal


async def pending(reader: Writer) -> list[Proposal]:
    """Every proposal waiting for approval, oldest first."""
    return [proposal_from_row(row) for row in await reader.fetch_all(queries.PENDING_PROPOSALS)]


async def pending_count(reader: Writer) -> int:
    """How many proposals wait for approval."""
    return int((await reader.fetch_row(queries.PENDING_PROPOSAL_COUNT))["n"])


async def of_subject(reader: Writer, subject_kind: str, code: str) -> list[Proposal]:
    """A subject's proposals, newest first (decided ones too)."""
    return [proposal_from_row(row) for row in await reader.fetch_all(queries.PROPOSALS_OF_SUBJECT, subject_kind, code)]


async def one(reader: Writer, proposal_id: int) -> Proposal:
    """One proposal; NotFound when there is none."""
    row = await reader.fetch_one(queries.PROPOSAL_BY_ID, proposal_id)
    if row is None:
        raise NotFound(f"no proposal {proposal_id}")
    return proposal_from_row(row)
