"""The verification API's payloads: claims, answers with receipts, batches."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from registry.rules import GuidanceType, ProgrammeFormat, ReasonCode, Status
from registry.schemas.history import Accreditation
from registry.schemas.problems import Problem

CODE_PATTERN = "^[A-Za-z0-9][A-Za-z0-9-]{0,31}$"
Code = Annotated[str, Meta(pattern=CODE_PATTERN, description="A registry code, matched case-insensitively.")]
EightDigits = Annotated[str, Meta(pattern="^[0-9]{8}$", description="8 digits; leading zeros count.")]


class VerificationRequest(Struct, forbid_unknown_fields=True, kw_only=True):
    """A claim: programme P (or a programme of the provider with this AGB code) delivered by coach C on a date or over a period,
    as known at a time; exactly one of programme_code and provider_agb_code, exactly one coach field."""

    programme_code: Code | None = None
    # Unset, not None, when absent: a claim by programme code is stored and signed exactly as before.
    provider_agb_code: Annotated[str, Meta(pattern="^[0-9]{8}$", description="The provider's AGB code (practice or location), "
                                           "from a declaration line; instead of programme_code.")] | UnsetType = UNSET
    guidance_type: Annotated[Literal["short", "intensive"], Meta(description="Only with provider_agb_code: consider only the provider's "
                                                "programmes of this guidance type.")] | UnsetType = UNSET
    coach_registration_number: Code | None = None
    coach_agb_code: EightDigits | None = None
    service_date: dt.date
    service_end_date: Annotated[dt.date | None, Meta(description="Last day of the period (at most 366 days).")] = None
    as_known_at: Annotated[dt.datetime, Meta(tz=True, description="Answer as the registry knew it then (RFC 3339 with offset); not in the future.")] | None = None
    reference: Annotated[str, Meta(max_length=64)] | None = None


class BatchRequest(Struct, forbid_unknown_fields=True):
    """Up to 10,000 claims; each item is checked on its own."""

    items: Annotated[
        # Any, not VerificationRequest: an invalid item is answered with its own error, not by refusing the batch.
        list[Any],
        Meta(min_length=1, max_length=10_000, description="Claims shaped as VerificationRequest; an invalid one gets its own error.",
             # Any value is taken (and answered on its own when it is no claim); clients get VerificationRequest to build items from.
             extra_json_schema={"items": {"anyOf": [{"$ref": "#/components/schemas/VerificationRequest"}, {}]}}),
    ]


class Reason(Struct):
    """One reason a claim is rejected, and the first day it applies."""

    code: ReasonCode
    subject: Literal["provider", "programme", "coach"]
    on: dt.date


class Provider(Struct):
    """The organisation offering a programme."""

    code: str
    name: str
    agb_code: str | None


class ProgrammeOutcome(Struct):
    """The programme as the verification saw it, on the reported day."""

    code: str
    name: str
    provider: Provider | None
    guidance_type: GuidanceType
    format: ProgrammeFormat
    status: Status
    accreditation: Accreditation | None


class CoachOutcome(Struct):
    """The coach as the verification saw it, on the reported day."""

    registration_number: str
    name: str
    status: Status
    accreditation: Accreditation | None
    qualified: Annotated[bool | None, Meta(description="Null when the programme is unknown: qualified for what cannot be said.")]


class Candidate(Struct):
    """One of the provider's programmes, and whether the claim fits it (and why not)."""

    code: str
    name: str
    guidance_type: GuidanceType
    format: ProgrammeFormat
    fits: bool
    reasons: list[Reason]


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
    data_version: Annotated[int, Meta(description="The id of the last decision the answer took into account.")]
    reference: str | None
    # Unset only where no receipt is given: the public check page and the command line.
    receipt: Annotated[str, Meta(description="Compact JWS (ES256) over the answer; verify with /.well-known/jwks.json.")] | UnsetType = UNSET
    # Only in answers to a claim by provider_agb_code.
    provider: Annotated[Provider | None, Meta(description="The organisation holding the claim's provider_agb_code; "
                                              "null when none does. Only for a claim by provider_agb_code.")] | UnsetType = UNSET
    candidates: Annotated[list[Candidate], Meta(description="The provider's programmes (of the guidance type, if given), in code "
                                                "order, each with whether it fits; `programme` is the first that fits. "
                                                "Only for a claim by provider_agb_code.")] | UnsetType = UNSET


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

    results: list[VerificationResult | BatchItemError]
    summary: BatchSummary


class Receipt(Struct):
    """What a receipt signs: the request, the verdict, when, from which data, for whom."""

    iss: str
    # When it was signed (seconds since 1970, as JWT has it): checked_at, to the second.
    iat: int
    verification_id: str
    request: VerificationRequest
    accredited: bool
    reasons: list[ReasonCode]
    checked_at: dt.datetime
    data_version: int
    client_id: str
    # A claim by provider_agb_code: the organisation it named and the programme it matched (null: none fits).
    provider: str | None | UnsetType = UNSET
    programme: str | None | UnsetType = UNSET
