"""Piccolo tables: the registry's records, decisions, people, clients and audit trail."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

CODE_LENGTH = 32


class RecordColumns:
    """Columns every organisation, training, programme and coach has besides its own (a Piccolo mixin)."""

    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # Folded words and city names for public search (registry.search_text), kept by the writers.
    search_text = Text(default="")
    places = Text(default="")
    version = Integer(default=1)


class Organisation(RecordColumns, Table, tablename="organisation"):
    """A provider of programmes or an institute giving trainings."""

    code = Varchar(length=CODE_LENGTH, unique=True, index=True)
    name = Varchar(length=200)
    kvk_number = Varchar(length=8, null=True, default=None)
    agb_code = Varchar(length=8, null=True, default=None)  # the first of agb_codes, as before there were several
    # Zero or more AGB codes (practice and locations); organisation_agb_code (migration 0013 only) holds one
    # row per code, so a code identifies at most one organisation and finds it.
    agb_codes = JSON(default="[]")
    city = Varchar(length=100, null=True, default=None)
    # Public contact fields (migration 0014).
    address = Varchar(length=200, null=True, default=None)
    postcode = Varchar(length=7, null=True, default=None)
    phone = Varchar(length=20, null=True, default=None)
    website = Varchar(length=200, null=True, default=None)


class Training(RecordColumns, Table, tablename="training"):
    """A course that qualifies coaches for guidance types and formats."""

    code = Varchar(length=CODE_LENGTH, unique=True, index=True)
    name = Varchar(length=200)
    organisation = ForeignKey(references=Organisation, null=True, on_delete=OnDelete.restrict, on_update=OnUpdate.restrict)
    guidance_types = JSON(default="[]")
    formats = JSON(default="[]")


class Programme(RecordColumns, Table, tablename="programme"):
    """A stop-smoking programme of a provider, with its design."""

    code = Varchar(length=CODE_LENGTH, unique=True, index=True)
    name = Varchar(length=200)
    organisation = ForeignKey(references=Organisation, null=True, on_delete=OnDelete.restrict, on_update=OnUpdate.restrict)
    guidance_type = Varchar(length=16)
    format = Varchar(length=16)
    modes = JSON(default="[]")
    sessions = Integer(null=True, default=None)
    contact_minutes = Integer(null=True, default=None)
    cities = JSON(default="[]")


class Coach(RecordColumns, Table, tablename="coach"):
    """A person registered to deliver stop-smoking care; e-mail, phone, BIG and note are private."""

    registration_number = Varchar(length=CODE_LENGTH, unique=True, index=True)
    initials = Varchar(length=20)
    prefix = Varchar(length=20, null=True, default=None)
    surname = Varchar(length=100)
    agb_code = Varchar(length=8, unique=True, null=True, default=None)
    big_number = Varchar(length=11, null=True, default=None)
    email = Varchar(length=254, null=True, default=None)
    phone = Varchar(length=32, null=True, default=None)
    city = Varchar(length=100, null=True, default=None)
    internal_note = Text(null=True, default=None)


class Qualification(Table, tablename="qualification"):
    """A coach completed a training on a date."""

    coach = ForeignKey(references=Coach, on_delete=OnDelete.restrict, on_update=OnUpdate.restrict)
    training = ForeignKey(references=Training, on_delete=OnDelete.restrict, on_update=OnUpdate.restrict)
    completed_on = Date()
    certificate = Varchar(length=64, null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class Decision(Table, tablename="decision"):
    """An accreditation decision: append-only, enforced by database triggers.

    Dates by kind: grant starts_on/ends_on = valid_from/valid_until; suspend = from/until;
    lift starts_on = date and target_id = the suspension; revoke starts_on = effective;
    retract target_id = the decision entered in error.
    """

    subject_kind = Varchar(length=16)
    subject_id = Integer()
    kind = Varchar(length=16)
    starts_on = Date(null=True, default=None)
    ends_on = Date(null=True, default=None)
    target_id = Integer(null=True, default=None)
    reference = Varchar(length=64)
    reason = Text(default="")
    override_reason = Text(null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())
    recorded_by = Varchar(length=200)
    # Migration 0015: a note for staff only; whether `reason` was recorded as public (NULL: before that was asked);
    # who proposed it when a second staff member approved it (four eyes).
    internal_note = Text(null=True, default=None)
    reason_public = Boolean(null=True, default=None)
    proposed_by = Varchar(length=200, null=True, default=None)


class ProgrammeDesign(Table, tablename="programme_design"):
    """A version of a programme's design (sessions, contact minutes) from a first day of care: append-only (migration 0012)."""

    programme = ForeignKey(references=Programme, on_delete=OnDelete.restrict, on_update=OnUpdate.restrict)
    effective_from = Date()
    sessions = Integer(null=True, default=None)
    contact_minutes = Integer(null=True, default=None)
    override_reason = Text(null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())
    recorded_by = Varchar(length=200)


class ProgrammeScope(Table, tablename="programme_scope"):
    """A version of a programme's guidance type and format: append-only."""

    programme = ForeignKey(references=Programme, on_delete=OnDelete.restrict, on_update=OnUpdate.restrict)
    guidance_type = Varchar(length=16)
    format = Varchar(length=16)
    recorded_at = Timestamptz(default=TimestamptzNow())
    recorded_by = Varchar(length=200)


class TrainingScope(Table, tablename="training_scope"):
    """A version of the guidance types and formats a training covers: append-only."""

    training = ForeignKey(references=Training, on_delete=OnDelete.restrict, on_update=OnUpdate.restrict)
    guidance_types = JSON(default="[]")
    formats = JSON(default="[]")
    recorded_at = Timestamptz(default=TimestamptzNow())
    recorded_by = Varchar(length=200)


class QualificationVersion(Table, tablename="qualification_version"):
    """A version of a qualification (a correction, or its withdrawal): append-only."""

    qualification = ForeignKey(references=Qualification, on_delete=OnDelete.restrict, on_update=OnUpdate.restrict)
    completed_on = Date()
    certificate = Varchar(length=64, null=True, default=None)
    withdrawn = Boolean(default=False)
    recorded_at = Timestamptz(default=TimestamptzNow())
    recorded_by = Varchar(length=200)


class CareStandardRecord(Table, tablename="care_standard"):
    """A version of the care standard's dates, changed by an admin: append-only."""

    in_force_from = Date()
    strict_from = Date()
    reason = Text(default="")
    recorded_at = Timestamptz(default=TimestamptzNow())
    recorded_by = Varchar(length=200)


class StaffUser(Table, tablename="staff_user"):
    """A member of the foundation's staff with one role."""

    username = Varchar(length=150, unique=True, index=True)
    display_name = Varchar(length=200, default="")
    email = Varchar(length=254, null=True, default=None)
    role = Varchar(length=16)
    password_hash = Text(null=True, default=None)
    oidc_subject = Varchar(length=255, null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
    # Migration 0015: a one-time password must be replaced at the next sign-in; an invitation link's hash and expiry.
    must_change_password = Boolean(default=False)
    invitation_hash = Varchar(length=64, null=True, default=None)
    invitation_expires_at = Integer(null=True, default=None)


class ApiClient(Table, tablename="api_client"):
    """A billing system allowed to verify claims; only a hash of its secret is stored."""

    client_id = Varchar(length=64, unique=True, index=True)
    name = Varchar(length=200)
    secret_hash = Text()
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    disabled_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


class AuditEvent(Table, tablename="audit_event"):
    """Who changed what, when and from where: append-only and hash-chained."""

    occurred_at = Timestamptz(default=TimestamptzNow())
    actor = Varchar(length=200)
    actor_role = Varchar(length=16, null=True, default=None)
    action = Varchar(length=64)
    subject_kind = Varchar(length=16, null=True, default=None)
    subject_code = Varchar(length=255, null=True, default=None)  # a registry code or a staff username
    before_state = JSON(null=True, default=None)
    after_state = JSON(null=True, default=None)
    source = Varchar(length=100, default="")
    previous_hash = Varchar(length=64, default="")
    hash = Varchar(length=64, default="")
    # The row this event wrote ("decision:12") and the SHA-256 of its content then (migration 0010).
    row_ref = Varchar(length=48, null=True, default=None)
    row_digest = Varchar(length=64, null=True, default=None)


class Verification(Table, tablename="verification"):
    """A stored answer to one claim: who asked, what, and what the registry said."""

    verification_id = Varchar(length=36, unique=True, index=True)
    client = ForeignKey(references=ApiClient, null=True, on_delete=OnDelete.restrict, on_update=OnUpdate.restrict)
    request = JSON()
    result = JSON()
    accredited = Boolean()
    data_version = Integer()
    checked_at = Timestamptz(default=TimestamptzNow())


ALL_TABLES: tuple[type[Table], ...] = (
    Organisation,
    Training,
    Programme,
    Coach,
    Qualification,
    Decision,
    ProgrammeDesign,
    ProgrammeScope,
    TrainingScope,
    QualificationVersion,
    CareStandardRecord,
    StaffUser,
    ApiClient,
    AuditEvent,
    Verification,
)
