"""Pages of public search results: programmes, coaches, trainings (and organisations, for the pages)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from registry.rules import GuidanceType, ProgrammeFormat, SessionMode, Status
from registry.schemas.history import Accreditation
from registry.schemas.public import NamedCode, Training


class ProgrammeSummary(Struct):
    """A programme in a list."""

    code: str
    name: str
    provider: NamedCode | None
    guidance_type: GuidanceType
    format: ProgrammeFormat
    modes: list[SessionMode]
    cities: list[str]
    status: Status
    accreditation: Accreditation | None


class CoachSummary(Struct):
    """A coach in a list."""

    registration_number: str
    name: str
    city: str | None
    status: Status
    accreditation: Accreditation | None


class TrainingSummary(Training):
    """A training in a list."""

    accreditation: Accreditation | None


class OrganisationSummary(Struct):
    """An organisation in a list, with its AGB codes (practice and locations)."""

    code: str
    name: str
    city: str | None
    agb_codes: list[str] = []


class OrganisationPage(Struct):
    """One page of organisations."""

    items: list[OrganisationSummary]
    page: int
    page_size: int
    total: int
    links: PageLinks


class PageLinks(Struct):
    """Where this page and its neighbours are; `prev` and `next` only when there is one."""

    self_: str = msgspec.field(name="self")
    first: str
    last: str
    prev: str | UnsetType = UNSET
    next: str | UnsetType = UNSET


class ProgrammePage(Struct):
    """One page of programmes."""

    items: list[ProgrammeSummary]
    page: int
    page_size: int
    total: int
    status_on: dt.date
    links: PageLinks
    suggestion: Annotated[str | None, Meta(description=(
        "When nothing matches `q`: the query spelt as the register spells its words (\"utrect\" -> \"Utrecht\"), to ask again "
        "with; null otherwise."))] = None


class CoachPage(Struct):
    """One page of coaches."""

    items: list[CoachSummary]
    page: int
    page_size: int
    total: int
    status_on: dt.date
    links: PageLinks
    suggestion: Annotated[str | None, Meta(description=(
        "When nothing matches `q`: the query spelt as the register spells its words (\"utrect\" -> \"Utrecht\"), to ask again "
        "with; null otherwise."))] = None


class TrainingPage(Struct):
    """One page of trainings."""

    items: list[TrainingSummary]
    page: int
    page_size: int
    total: int
    status_on: dt.date
    links: PageLinks
