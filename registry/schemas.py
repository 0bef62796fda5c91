"""msgspec Structs describing every API payload; the OpenAPI document is generated from them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from registry.rules import DecisionKind, GuidanceType, ProgrammeFormat, ReasonCode, Status, SubjectKind, names

Code = Annotated[str, Meta(pattern="^[A-Za-z0-9][A-Za-z0-9-]{0,31}$", description="A registry code, matched case-insensitively.")]
EightDigits = Annotated[str, Meta(pattern="^[0-9]{8}$", description="8 digits; leading zeros count.")]
ReasonCodeName = Literal[names(ReasonCode)]
StatusName = Literal[names(Status)]
GuidanceTypeName = Literal[names(GuidanceType)]
FormatName = Literal[names(ProgrammeFormat)]
DecisionKindName = Literal[names(DecisionKind)]
SubjectKindName = Literal[names(SubjectKind)]


class VerificationRequest(Struct, forbid_unknown_fields=True):
    """A claim: programme P delivered by coach C on a date or over a period, as known at a time."""

    programme_code: Code
    service_date: dt.date
    coach_registration_number: Code | None = None
    coach_agb_code: EightDigits | None = None
    service_end_date: Annotated[dt.date | None, Meta(description="Last day of the period (at most 366 days).")] = None
    as_known_at: Annotated[dt.datetime | None, Meta(description="Answer as the registry knew it then; not in the future.")] = None
    reference: Annotated[str, Meta(max_length=64)] | None = None


class BatchRequest(Struct, forbid_unknown_fields=True):
    """Up to 10,000 claims; each item is checked on its own."""

    items: Annotated[
        list[Any],
        Meta(min_length=1, max_length=10_000, description="Claims shaped as VerificationRequest; an invalid one gets its own error."),
    ]


class Reason(Struct):
    """One reason a claim is rejected."""

    code: ReasonCodeName
    subject: Literal["programme", "coach"]
    on: dt.date


class Accreditation(Struct):
    """The grant covering the reported day."""

    valid_from: dt.date | None
    valid_until: dt.date | None
    reference: str


class Provider(Struct):
    """The organisation offering a programme."""

    code: str
    name: str
    agb_code: str | None


class ProgrammeOutcome(Struct):
    """The programme as the verification saw it."""

    code: str
    name: str
    provider: Provider | None
    guidance_type: GuidanceTypeName
    format: FormatName
    status: StatusName
    accreditation: Accreditation | None


class CoachOutcome(Struct):
    """The coach as the verification saw it."""

    registration_number: str
    name: str
    status: StatusName
    accreditation: Accreditation | None
    qualified: bool


class VerificationResult(Struct):
    """The registry's answer to one claim, with a signed receipt."""

    verification_id: str
    accredited: bool
    reasons: list[Reason]
    programme: ProgrammeOutcome | None
    coach: CoachOutcome | None
    service_date: dt.date
    service_end_date: dt.date | None
    as_known_at: dt.datetime | None
    checked_at: dt.datetime
    data_version: int
    reference: str | None
    receipt: Annotated[str, Meta(description="Compact JWS (ES256) over the answer; verify with /.well-known/jwks.json.")]


class FieldProblem(Struct):
    """One problem with one field."""

    field: str
    message: str
    code: str | None = None


class Problem(Struct, omit_defaults=True):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None
    error: Annotated[str | None, Meta(description="OAuth2 error code, on /oauth/token only.")] = None
    error_description: str | None = None


class BatchItemError(Struct):
    """An item of a batch that could not be checked."""

    index: int
    error: Problem


class BatchSummary(Struct):
    """How the batch went."""

    accredited: int
    rejected: int
    invalid: int


class BatchResult(Struct):
    """Answers in the order of the items."""

    results: list[Any]  # each a VerificationResult or a BatchItemError; see component_schemas
    summary: BatchSummary


class TokenRequest(Struct):
    """A client credentials token request (form-encoded); the client authenticates by HTTP Basic or these fields."""

    grant_type: Literal["client_credentials"]
    scope: Literal["verify"] | None = None
    client_id: str | None = None
    client_secret: str | None = None


class TokenResponse(Struct):
    """An access token (RFC 6749 §5.1)."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str


class PublicDecision(Struct, omit_defaults=True):
    """A decision as published; which date fields are present depends on `kind`."""

    kind: DecisionKindName
    reference: str
    recorded_at: dt.datetime
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    from_: Annotated[dt.date | None, Meta(description="suspend: first day")] = msgspec.field(default=None, name="from")
    until: dt.date | None = None
    date: dt.date | None = None
    suspension: str | None = None
    effective: dt.date | None = None
    target: str | None = None
    reason: str | None = None


class CurrentGrant(Struct):
    """The grant covering today."""

    valid_from: dt.date | None
    valid_until: dt.date | None
    reference: str


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
    """A programme with its design, status today and public history."""

    code: str
    name: str
    provider: ProgrammeProvider | None
    guidance_type: GuidanceTypeName
    format: FormatName
    modes: list[str]
    sessions: int | None
    contact_minutes: int | None
    cities: list[str]
    status: StatusName
    status_on: dt.date
    accreditation: CurrentGrant | None
    history: list[PublicDecision]


class QualificationView(Struct):
    """A training a coach completed."""

    training: NamedCode
    completed_on: dt.date


class CoachDetail(Struct):
    """A coach's public record."""

    registration_number: str
    name: str
    initials: str
    prefix: str | None
    surname: str
    city: str | None
    status: StatusName
    status_on: dt.date
    accreditation: CurrentGrant | None
    qualifications: list[QualificationView]
    history: list[PublicDecision]


class TrainingDetail(Struct):
    """A training's public record."""

    code: str
    name: str
    institute: NamedCode | None
    guidance_types: list[str]
    formats: list[str]
    status: StatusName
    status_on: dt.date
    accreditation: CurrentGrant | None
    history: list[PublicDecision]


class OfferedSubject(Struct):
    """A programme or training of an organisation, with its status today."""

    code: str
    name: str
    status: StatusName


class OrganisationDetail(Struct):
    """An organisation with what it offers."""

    code: str
    name: str
    kvk_number: str | None
    agb_code: str | None
    city: str | None
    programmes: list[OfferedSubject]
    trainings: list[OfferedSubject]


class ChangeSubject(Struct):
    """Which subject a decision is about."""

    kind: SubjectKindName
    code: str | None


class Change(Struct):
    """One decision in the feed."""

    cursor: str
    subject: ChangeSubject
    decision: PublicDecision


class ChangeFeed(Struct):
    """Decisions in recording order; continue with `next_cursor`."""

    changes: list[Change]
    next_cursor: str
    has_more: bool


class PageLinks(Struct, omit_defaults=True):
    """Where this page and its neighbours are."""

    self_: str = msgspec.field(name="self")
    first: str | None = None
    prev: str | None = None
    next: str | None = None
    last: str | None = None


class ProgrammeSummary(Struct):
    """A programme in a list."""

    code: str
    name: str
    provider: NamedCode | None
    guidance_type: GuidanceTypeName
    format: FormatName
    modes: list[str]
    cities: list[str]
    status: StatusName
    accreditation: CurrentGrant | None


class CoachSummary(Struct):
    """A coach in a list."""

    registration_number: str
    name: str
    city: str | None
    status: StatusName
    accreditation: CurrentGrant | None


class TrainingSummary(Struct):
    """A training in a list."""

    code: str
    name: str
    institute: NamedCode | None
    guidance_types: list[str]
    formats: list[str]
    status: StatusName
    accreditation: CurrentGrant | None


class ProgrammePage(Struct):
    """One page of programmes."""

    items: list[ProgrammeSummary]
    page: int
    page_size: int
    total: int
    status_on: dt.date
    links: PageLinks


class CoachPage(Struct):
    """One page of coaches."""

    items: list[CoachSummary]
    page: int
    page_size: int
    total: int
    status_on: dt.date
    links: PageLinks


class TrainingPage(Struct):
    """One page of trainings."""

    items: list[TrainingSummary]
    page: int
    page_size: int
    total: int
    status_on: dt.date
    links: PageLinks


API_STRUCTS = (VerificationRequest, BatchRequest, VerificationResult, BatchItemError, BatchResult, Problem, TokenRequest, TokenResponse,
               ProgrammeDetail, CoachDetail, TrainingDetail, OrganisationDetail, ChangeFeed,
               ProgrammePage, CoachPage, TrainingPage)


def component_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas of every payload, for the OpenAPI document's components."""
    _, components = msgspec.json.schema_components(API_STRUCTS, ref_template="#/components/schemas/{name}")
    # msgspec cannot express an untagged union of Structs; the batch's results are one.
    components["BatchResult"]["properties"]["results"]["items"] = {
        "oneOf": [ref(VerificationResult), ref(BatchItemError)]
    }
    components["BatchRequest"]["properties"]["items"]["items"] = {
        "description": "A claim shaped as VerificationRequest; an invalid item is answered with its own error."
    }
    return components


def ref(struct: type[Struct]) -> dict[str, str]:
    """A reference to a payload's schema."""
    return {"$ref": f"#/components/schemas/{struct.__name__}"}
