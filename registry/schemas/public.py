"""Public records: one programme, coach, training or organisation with its status today."""

from __future__ import annotations

import datetime as dt

from msgspec import Struct

from registry.rules import GuidanceType, ProgrammeFormat, SessionMode, Status
from registry.schemas.history import Accreditation, PublicDecision


class NamedCode(Struct):
    """A code and a name."""

    code: str
    name: str


class ProgrammeProvider(Struct):
    """The organisation offering a programme."""

    code: str
    name: str
    city: str | None


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


class OfferedSubject(Struct):
    """A programme or training of an organisation, with its status today."""

    code: str
    name: str
    status: Status


class OrganisationDetail(Struct):
    """An organisation with what it offers."""

    code: str
    name: str
    kvk_number: str | None
    agb_code: str | None
    city: str | None
    programmes: list[OfferedSubject]
    trainings: list[OfferedSubject]
