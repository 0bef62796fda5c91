"""Decisions as the public sees them, the grant covering a day, and the change feed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from registry.rules import SubjectKind


class Accreditation(Struct):
    """The grant covering the day reported on."""

    valid_from: dt.date
    valid_until: Annotated[dt.date | None, Meta(description="Null for a grant without an end date.")]
    reference: str


class PublishedDecision(Struct, tag_field="kind", kw_only=True):
    """A decision as published; which fields it has depends on its kind, written in `kind`."""

    # Listed after each kind's own fields (kw_only): every kind has them.
    void: Annotated[bool, Meta(description=(
        "True when a later retraction withdrew this decision as entered in error: it no longer counts, and its reason is "
        "not published (an empty string)."))] = False
    retracted_by: Annotated[str | None, Meta(description="The reference of the retraction that made this decision void.")] = None

    @property
    def kind(self) -> str:
        """grant, suspend, lift, revoke or retract."""
        return str(self.__struct_config__.tag)


class GrantDecision(PublishedDecision, tag="grant"):
    """A grant: accredited from `valid_from`, up to and including `valid_until` when there is one."""

    reference: str
    valid_from: dt.date
    valid_until: dt.date | None
    reason: Annotated[str, Meta(description="The public explanation; empty when none was published.")]
    recorded_at: dt.datetime


class SuspendDecision(PublishedDecision, tag="suspend"):
    """A suspension from its first day, up to and including `until`, or until lifted when there is none."""

    reference: str
    from_: Annotated[dt.date, Meta(description="First day of the suspension.")] = msgspec.field(name="from")
    until: dt.date | None
    reason: str
    recorded_at: dt.datetime
    lifted_on: Annotated[dt.date | None, Meta(description="The day a lift ends this suspension (its first day without it).")] = None
    lifted_by: Annotated[str | None, Meta(description="The reference of the lift that ends this suspension.")] = None


class LiftDecision(PublishedDecision, tag="lift"):
    """A suspension (named by its reference) ends from `date`."""

    reference: str
    date: dt.date
    suspension: str
    reason: Annotated[str, Meta(description="The public explanation; empty when none was published.")]
    recorded_at: dt.datetime


class RevokeDecision(PublishedDecision, tag="revoke"):
    """Accreditation ends from `effective`."""

    reference: str
    effective: dt.date
    reason: str
    recorded_at: dt.datetime


class RetractDecision(PublishedDecision, tag="retract"):
    """An earlier decision (named by its reference) no longer counts."""

    reference: str
    target: str
    reason: Annotated[str, Meta(description="The public explanation; empty when none was published.")]
    recorded_at: dt.datetime


PublicDecision = GrantDecision | SuspendDecision | LiftDecision | RevokeDecision | RetractDecision


class StatusBasis(Struct):
    """The decision behind the status today, with the first and last day of that status as far as known."""

    reference: str
    since: Annotated[dt.date | None, Meta(description="First day of the status (a grant's or suspension's start, a revocation's effect).")]
    until: Annotated[dt.date | None, Meta(description="Last day of the status as far as known; null for no end (a suspension: until lifted).")]


class ChangeSubject(Struct):
    """Which subject a decision is about."""

    kind: SubjectKind
    code: str


class Change(Struct):
    """One decision in the feed."""

    cursor: str
    subject: ChangeSubject
    decision: PublicDecision


class ChangeFeed(Struct):
    """Decisions in recording order; continue with `next_cursor` while `has_more`."""

    changes: list[Change]
    next_cursor: str
    has_more: bool
