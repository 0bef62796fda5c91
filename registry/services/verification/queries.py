"""The SQL of verification: what the index loads and follows, and the answers the store keeps.

Statements with `?` parameters only; a statement ending in `IN` gets its list from `Writer.fetch_in`.
"""

from __future__ import annotations

from registry.services.sql import insert_statement

# --- the snapshot: subjects, their decisions and qualifications --------------------------------------

DECISION_COLUMNS = "id, subject_kind, subject_id, kind, starts_on, ends_on, target_id, reference, recorded_at"
PROGRAMMES = (
    "SELECT p.id, p.code, p.name, p.guidance_type, p.format, p.organisation, o.code AS provider_code, "
    "o.name AS provider_name, o.agb_code AS provider_agb_code, p.modes, p.cities, p.search_text, p.places "
    "FROM programme p LEFT JOIN organisation o ON o.id = p.organisation"
)
COACHES = "SELECT id, registration_number, initials, prefix, surname, agb_code, city, search_text, places FROM coach"
TRAININGS = "SELECT id, code, guidance_types, formats FROM training"
# Qualifications as their versions (a correction or a withdrawal is a later one), in recording order.
QUALIFICATIONS = (
    "SELECT v.id, q.coach, q.training, v.qualification, v.completed_on, v.withdrawn, v.recorded_at "
    "FROM qualification_version v JOIN qualification q ON q.id = v.qualification"
)
DESIGN_COLUMNS = "id, programme, effective_from, sessions, contact_minutes, override_reason, recorded_at, recorded_by"
DESIGNS = f"SELECT {DESIGN_COLUMNS} FROM programme_design ORDER BY id"  # nosec B608 # DESIGN_COLUMNS is a constant
DESIGNS_OF_PROGRAMMES_IN = f"SELECT {DESIGN_COLUMNS} FROM programme_design WHERE programme IN"  # nosec B608 # a constant
PROGRAMME_SCOPES = "SELECT id, programme, guidance_type, format, recorded_at FROM programme_scope ORDER BY id"
PROGRAMME_SCOPES_OF_PROGRAMMES_IN = "SELECT id, programme, guidance_type, format, recorded_at FROM programme_scope WHERE programme IN"
TRAINING_SCOPES = "SELECT id, training, guidance_types, formats, recorded_at FROM training_scope ORDER BY id"
TRAINING_SCOPES_OF_TRAININGS_IN = "SELECT id, training, guidance_types, formats, recorded_at FROM training_scope WHERE training IN"
CARE_STANDARD = "SELECT id, in_force_from, strict_from, reason, recorded_at, recorded_by FROM care_standard ORDER BY id"
# Organisations by their AGB codes (a declaration line names its provider by one), a row per code.
ORGANISATION_AGB_CODES = (
    "SELECT a.agb_code, a.position, o.id, o.code, o.name FROM organisation_agb_code a JOIN organisation o ON o.id = a.organisation"
)

ALL_DECISIONS = f"SELECT {DECISION_COLUMNS} FROM decision ORDER BY id"  # nosec B608 # DECISION_COLUMNS is a constant
DECISIONS_OF_SUBJECTS_IN = f"SELECT {DECISION_COLUMNS} FROM decision WHERE subject_kind = ? AND subject_id IN"  # nosec B608 # DECISION_COLUMNS is a constant
PROGRAMMES_WITH_CODE_IN = f"{PROGRAMMES} WHERE p.code IN"
PROGRAMMES_OF_ORGANISATION_IDS_IN = f"{PROGRAMMES} WHERE p.organisation IN"
ORGANISATION_AGB_CODES_OF_CODES_IN = f"{ORGANISATION_AGB_CODES} WHERE o.code IN"
ORGANISATION_AGB_CODES_OF_IDS_IN = f"{ORGANISATION_AGB_CODES} WHERE o.id IN"
ORGANISATION_IDS_WITH_AGB_CODE_IN = "SELECT organisation AS id FROM organisation_agb_code WHERE agb_code IN"
COACHES_WITH_NUMBER_IN = f"{COACHES} WHERE registration_number IN"
COACHES_WITH_AGB_CODE_IN = f"{COACHES} WHERE agb_code IN"
QUALIFICATIONS_OF_COACHES_IN = f"{QUALIFICATIONS} WHERE q.coach IN"
TRAININGS_WITH_ID_IN = f"{TRAININGS} WHERE id IN"
TRAININGS_WITH_CODE_IN = f"{TRAININGS} WHERE code IN"
# Every write to the register (records, qualifications, decisions, imports) leaves an event with a
# registry:* action in its own transaction; sign-ins, staff users and API clients change nothing published.
REGISTER_WRITES = "registry:%"
# The last register write's event id; binds REGISTER_WRITES.
LAST_REGISTER_WRITE = "SELECT id FROM audit_event WHERE action LIKE ? ORDER BY id DESC LIMIT 1"
# The data version (last decision id), the last audit event with its chain hash, and the register
# version (last register write), in one read; binds REGISTER_WRITES.
VERSIONS = (
    "SELECT (SELECT COALESCE(MAX(id), 0) FROM decision) AS data_version, "  # nosec B608 # built only from the constants here
    "(SELECT COALESCE(MAX(id), 0) FROM audit_event) AS audit_seen, "
    "(SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1) AS audit_hash, "
    f"({LAST_REGISTER_WRITE}) AS register_version"
)

# --- following changes -------------------------------------------------------------------------------

AUDIT_EVENTS_FROM = "SELECT id, subject_kind, subject_code, hash FROM audit_event WHERE id >= ? ORDER BY id LIMIT ?"
LAST_AUDIT_EVENT_ID = "SELECT COALESCE(MAX(id), 0) FROM audit_event"
PROGRAMMES_OF_ORGANISATIONS_IN = "SELECT p.code FROM programme p JOIN organisation o ON o.id = p.organisation WHERE o.code IN"
COACHES_QUALIFIED_IN_TRAININGS_IN = (
    "SELECT c.registration_number FROM qualification q JOIN coach c ON c.id = q.coach "
    "JOIN training t ON t.id = q.training WHERE t.code IN"
)

# --- stored answers ----------------------------------------------------------------------------------

STORED_COLUMNS = ("verification_id", "client", "request", "result", "accredited", "data_version", "checked_at")
STORE_ANSWER = insert_statement("verification", STORED_COLUMNS)
STORED_RESULT = "SELECT result FROM verification WHERE verification_id = ? AND client = ?"

# --- idempotency keys --------------------------------------------------------------------------------

IDEMPOTENCY_COLUMNS = "client, key_value, request_hash, claim, created_at, status, content_type, body"
RESERVE_KEY = (
    "INSERT INTO idempotency_key (client, key_value, request_hash, claim, created_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (client, key_value) DO NOTHING"
)
KEY_OF_CLIENT = f"SELECT {IDEMPOTENCY_COLUMNS} FROM idempotency_key WHERE client = ? AND key_value = ?"  # nosec B608 # a constant column list
# Takes over a key whose first request expired or was abandoned: only if nobody took it over first (same claim).
TAKE_OVER_KEY = (
    "UPDATE idempotency_key SET request_hash = ?, claim = ?, created_at = ?, status = NULL, content_type = NULL, body = NULL "
    "WHERE client = ? AND key_value = ? AND claim = ?"
)
# The answer, in the transaction that stores its verifications; only by the request that holds the claim.
COMPLETE_KEY = "UPDATE idempotency_key SET status = ?, content_type = ?, body = ? WHERE client = ? AND key_value = ? AND claim = ?"
RELEASE_KEY = "DELETE FROM idempotency_key WHERE client = ? AND key_value = ? AND claim = ? AND status IS NULL"
FORGET_KEYS_BEFORE = "DELETE FROM idempotency_key WHERE created_at < ?"
