"""Public records: one programme, coach, training or organisation with its status today."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import Meta, Struct

from registry.rules import GuidanceType, ProgrammeFormat, SessionMode, Status
from registry.schemas.history import Accreditation, PublicDecision, StatusBasis

STATUS_BASIS = Meta(description="The decision behind `status` on `status_on`, with that status's first and last day; null when none.")


class NamedCode(Struct):
    """A code and a name."""

    code: str
    name: str


class ProgrammeProvider(Struct):
    """The organisation offering a programme, and how to reach it (contact fields null when not stated)."""

    code: str
    name: str
    city: str | None
    address: Annotated[str | None, Meta(description="Street and number.")] = None
    postcode: str | None = None
    phone: str | None = None
    website: Annotated[str | None, Meta(description="An https:// or http:// address.")] = None


class ProgrammeDetail(Struct):
    """A programme with its design, status today, current grant and public history."""

    code: str
    name: str
    provider: ProgrammeProvider | None
    guidance_type: GuidanceType
    format: ProgrammeFormat
    modes: list[SessionMode]
    sessions: int | None
    contact_minutes: int | None
    cities: list[str]
    status: Status
    status_on: dt.date
    accreditation: Accreditation | None
    history: list[PublicDecision]
    status_basis: Annotated[StatusBasis | None, STATUS_BASIS] = None
    # The first day of care, from today and from the care standard's strict date on, whose design is below the
    # standard's minimum (care on it is not accredited care); null when the designs recorded meet it.
    below_care_standard_from: dt.date | None = None


class QualificationView(Struct):
    """A training a coach completed."""

    training: NamedCode
    completed_on: dt.date


class CoachDetail(Struct):
    """A coach's public record: never an e-mail, phone, BIG number or internal note."""

    registration_number: str
    name: str
    initials: str
    prefix: str | None
    surname: str
    city: str | None
    status: Status
    status_on: dt.date
    accreditation: Accreditation | None
    qualifications: list[QualificationView]
    history: list[PublicDecision]
    status_basis: Annotated[StatusBasis | None, STATUS_BASIS] = None
    agb_code: Annotated[str | None, Meta(description="The coach's AGB code (as declarations name the practitioner), when known.")] = None


class Training(Struct):
    """A training, what it qualifies for, and its status today."""

    code: str
    name: str
    institute: NamedCode | None
    guidance_types: list[GuidanceType]
    formats: list[ProgrammeFormat]
    status: Status


class TrainingDetail(Training):
    """A training's public record."""

    status_on: dt.date
    accreditation: Accreditation | None
    history: list[PublicDecision]
    status_basis: Annotated[StatusBasis | None, STATUS_BASIS] = None
    qualified_coaches: Annotated[int, Meta(description="How many coaches in the register completed this training.")] = 0


class OfferedSubject(Struct):
    """A programme or training of an organisation, with its status today."""

    code: str
    name: str
    status: Status


class OrganisationDetail(Struct):
    """An organisation with what it offers and how to reach it (contact fields null when not stated)."""

    code: str
    name: str
    kvk_number: str | None
    agb_code: str | None
    city: str | None
    programmes: list[OfferedSubject]
    trainings: list[OfferedSubject]
    address: Annotated[str | None, Meta(description="Street and number.")] = None
    postcode: str | None = None
    phone: str | None = None
    website: Annotated[str | None, Meta(description="An https:// or http:// address.")] = None
    agb_codes: Annotated[list[str], Meta(description="Every AGB code of the organisation (practice and locations); agb_code is the first.")] = []
