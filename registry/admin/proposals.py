"""`/admin/voorstellen`: decisions waiting for a second staff member (four eyes); approve on a check page, or reject with a reason."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from registry.admin.context import AppContext
from registry.admin.guards import requires
from registry.admin.record_forms import shown_date
from registry.admin.records import record_of
from registry.admin.support import StaffController, StaffPages
from registry.i18n import translations
from registry.messages import N_
from registry.public.page_support import language_of
from registry.roles import Permission, Role
from registry.services.audit import Actor
from registry.services.errors import NotFound, Refusal, ValidationFailed
from registry.services.sql import reading
from registry.services.staff import design_proposals, proposals
from registry.services.staff.records import KINDS
from registry.services.staff.users import staff_names

PROPOSAL_MISSING = N_("There is no proposal with this number.")


def may_approve(proposal: proposals.Proposal, actor: Actor) -> str | None:
    """Why this person may not approve the proposal (a message id), or None when they may."""
    if proposal.state != proposals.ProposalState.PENDING:
        return N_("This proposal has already been decided.")
    if proposal.proposed_by == actor.name:
        return N_("You proposed this decision yourself: another staff member must approve it.")
    if proposal.needs_admin and actor.role is not Role.ADMIN:
        return N_("Only an admin may approve an override of the care standard.")
    return None


class ProposalsController(StaffController):
    """Proposals: the list, one proposal's check page, approval and rejection."""

    path = "/admin/voorstellen"

    @get("/", guards=[requires(Permission.REGISTRY_READ)])
    async def pending(self, request: Request, app_context: NamedDependency[AppContext], page: NamedDependency[StaffPages]) -> Response[str]:
        """Every proposal waiting for approval, oldest first, each linking to its check page and its record."""
        async with reading(app_context.engine) as reader:
            waiting = await proposals.pending(reader)
            people = await staff_names(reader)
        return page("admin/proposals.html", section="proposals", proposals=waiting, kinds=KINDS, people=people,
                    done=request.query_params.get("gelukt"))

    async def _proposal_page(self, app_context: AppContext, page: StaffPages, actor: Actor, number: int, status: int = 200,
                             **context: Any) -> Response[str]:
        try:
            async with reading(app_context.engine) as reader:
                proposal = await proposals.one(reader, number)
                people = await staff_names(reader)
        except NotFound:
            return page.not_found(PROPOSAL_MISSING)
        kind = KINDS[proposal.subject_kind]
        record = await record_of(app_context, kind, proposal.subject_code)
        design = None
        if proposal.is_design and record is not None:
            async with reading(app_context.engine) as reader:
                design = await design_proposals.facts(reader, proposal, record)
        context = {"done": None, "typed_reason": "", "errors": {}, **context}
        return page("admin/proposal.html", status, section="proposals", proposal=proposal, kind=kind, record=record, design=design,
                    refusal=may_approve(proposal, actor), shown_date=shown_date, people=people, **context)

    @get("/{number:int}", guards=[requires(Permission.REGISTRY_READ)])
    async def show(self, request: Request, number: FromPath[int], app_context: NamedDependency[AppContext],
                   page: NamedDependency[StaffPages], actor: NamedDependency[Actor]) -> Response[str]:
        """What would be recorded, for whom, from when and what the public would see; approve and reject forms."""
        return await self._proposal_page(app_context, page, actor, number, done=request.query_params.get("gelukt"))

    @post("/{number:int}/goedkeuren", guards=[requires(Permission.DECISIONS_RECORD)])
    async def approve(self, request: Request, number: FromPath[int], app_context: NamedDependency[AppContext],
                      page: NamedDependency[StaffPages], actor: NamedDependency[Actor],
                      form: NamedDependency[FormMultiDict]) -> Response[Any]:
        """Record the proposed decision now, as approved by this staff member (the form is asked for its CSRF check)."""
        gettext = translations(language_of(request)).gettext
        try:
            proposal = await proposals.approve(app_context.engine, actor, number)
        except NotFound:
            return page.not_found(PROPOSAL_MISSING)
        except Refusal as refusal:
            return await self._proposal_page(app_context, page, actor, number, 409, errors={"approve": gettext(refusal.template) % dict(refusal.params)})
        except ValidationFailed as failure:
            # The subject changed since the proposal (a target withdrawn, a reference taken, strict enforcement begun for a design's
            # override): say what, keep the proposal.
            messages = page.messages(failure.errors, "decisions[0].")
            return await self._proposal_page(app_context, page, actor, number, 409, errors={"approve": " ".join(messages.values())})
        kind = KINDS[proposal.subject_kind]
        if proposal.is_design:
            return Redirect(f"/admin/{kind.slug}/{proposal.subject_code}?gelukt=ontwerp", status_code=303)
        query = urlencode({"gelukt": proposal.kind, "besluit": proposal.reference})
        return Redirect(f"/admin/{kind.slug}/{proposal.subject_code}?{query}", status_code=303)

    @post("/{number:int}/afwijzen", guards=[requires(Permission.DECISIONS_RECORD)])
    async def reject(self, request: Request, number: FromPath[int], app_context: NamedDependency[AppContext],
                     page: NamedDependency[StaffPages], actor: NamedDependency[Actor], form: NamedDependency[FormMultiDict]) -> Response[Any]:
        """Turn the proposal down with a reason; nothing is recorded."""
        gettext = translations(language_of(request)).gettext
        reason = form.get("rejection_reason")
        try:
            await proposals.reject(app_context.engine, actor, number, reason if isinstance(reason, str) else "")
        except NotFound:
            return page.not_found(PROPOSAL_MISSING)
        except Refusal as refusal:
            return await self._proposal_page(app_context, page, actor, number, 409, errors={"approve": gettext(refusal.template) % dict(refusal.params)})
        except ValidationFailed as failure:
            return await self._proposal_page(app_context, page, actor, number, 400, errors=page.messages(failure.errors),
                                             typed_reason=reason)
        return Redirect("/admin/voorstellen?gelukt=afgewezen", status_code=303)
