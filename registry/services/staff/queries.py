"""The SQL of staff work: accounts, API clients and their use, the audit trail as staff read it, the dashboard.

Statements with `?` parameters only. The audit-log filter is assembled from the fixed fragments
below (which ones, never what they contain, depends on the filter); its values are all bound.
"""

from __future__ import annotations

from registry.services.sql import marks

# --- staff accounts ----------------------------------------------------------------------------------

USER_ID_BY_USERNAME = "SELECT id FROM staff_user WHERE username = ?"
STAFF_NAMES = "SELECT username, display_name FROM staff_user"
LOCAL_ACCOUNT_BY_USERNAME = (
    "SELECT id, username, display_name, role, password_hash, active, must_change_password FROM staff_user WHERE username = ?"
)
USER_BY_OIDC_SUBJECT = "SELECT id, username, display_name, role, active FROM staff_user WHERE oidc_subject = ?"
USER_FOR_CHANGE = "SELECT id, username, role, active FROM staff_user WHERE id = ?"
STAFF_MEMBERS = (
    "SELECT u.id, u.username, u.display_name, u.email, u.role, u.active, u.oidc_subject, u.last_login_at AS last_sign_in, "
    "u.invitation_expires_at, CASE WHEN u.password_hash IS NULL THEN 1 ELSE 0 END AS without_password "
    "FROM staff_user u ORDER BY u.username"
)
OTHER_ACTIVE_USERS_WITH_ROLE = "SELECT COUNT(*) AS n FROM staff_user WHERE role = ? AND active = ? AND id <> ?"
SET_ROLE = "UPDATE staff_user SET role = ? WHERE id = ?"
SET_ROLE_AND_ACTIVE = "UPDATE staff_user SET role = ?, active = ? WHERE id = ?"

# --- invitation links (only the SHA-256 of a link's token is stored) ---------------------------------

INVITATION_OF_USER = (
    "SELECT id, username, password_hash, oidc_subject, active, invitation_expires_at FROM staff_user WHERE id = ?"
)
USER_BY_INVITATION = (
    "SELECT id, username, display_name, role, active, password_hash, invitation_expires_at FROM staff_user WHERE invitation_hash = ?"
)
SET_INVITATION = "UPDATE staff_user SET invitation_hash = ?, invitation_expires_at = ? WHERE id = ? AND password_hash IS NULL"
# Only while the same link is still open: of two uses at once, one finds the row and the other nothing.
ACCEPT_INVITATION = (
    "UPDATE staff_user SET password_hash = ?, must_change_password = ?, invitation_hash = NULL, invitation_expires_at = NULL "
    "WHERE id = ? AND invitation_hash = ? RETURNING id"
)

# --- staff sessions ----------------------------------------------------------------------------------

NOTE_SIGN_IN = "UPDATE staff_user SET last_login_at = ? WHERE id = ?"
INSERT_SESSION = (
    "INSERT INTO staff_session (token_hash, staff_user, csrf_token, pending, created_at, last_seen_at, address) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
# Idle longer than allowed (first parameter) or older than allowed (second).
DELETE_EXPIRED_SESSIONS = "DELETE FROM staff_session WHERE last_seen_at < ? OR created_at < ?"
SESSION_BY_TOKEN_HASH = (
    "SELECT s.staff_user, s.csrf_token, s.pending, s.created_at, s.last_seen_at, "
    "u.username, u.display_name, u.role, u.active, u.must_change_password "
    "FROM staff_session s LEFT JOIN staff_user u ON u.id = s.staff_user WHERE s.token_hash = ?"
)
PASSWORD_OF_USER = "SELECT id, username, password_hash FROM staff_user WHERE id = ?"
SET_PASSWORD = "UPDATE staff_user SET password_hash = ?, must_change_password = ? WHERE id = ?"
TOUCH_SESSION = "UPDATE staff_session SET last_seen_at = ? WHERE token_hash = ?"
SET_SESSION_PENDING = "UPDATE staff_session SET pending = ? WHERE token_hash = ?"
DELETE_SESSION = "DELETE FROM staff_session WHERE token_hash = ?"
DELETE_SESSIONS_OF_USER = "DELETE FROM staff_session WHERE staff_user = ?"
DELETE_OTHER_SESSIONS_OF_USER = "DELETE FROM staff_session WHERE staff_user = ? AND token_hash <> ?"

# --- API clients -------------------------------------------------------------------------------------

CLIENT_CREDENTIALS = "SELECT id, client_id, name, secret_hash, active FROM api_client"
CLIENT_BY_CLIENT_ID = "SELECT id, name, active FROM api_client WHERE client_id = ?"
SET_SECRET_HASH = "UPDATE api_client SET secret_hash = ? WHERE id = ?"
DISABLE_CLIENT = "UPDATE api_client SET active = ?, disabled_at = ? WHERE id = ?"

CLIENT_SUMMARY_COLUMNS = "id, client_id, name, active, created_at, disabled_at, last_used_at"
CLIENT_SUMMARIES = f"SELECT {CLIENT_SUMMARY_COLUMNS} FROM api_client ORDER BY active DESC, LOWER(name), id"  # nosec B608 # CLIENT_SUMMARY_COLUMNS is a constant
CLIENT_SUMMARY = f"SELECT {CLIENT_SUMMARY_COLUMNS} FROM api_client WHERE client_id = ?"  # nosec B608 # CLIENT_SUMMARY_COLUMNS is a constant
# Verifications per client in all and since a moment (the first parameter).
VERIFICATION_COUNTS = (
    "SELECT client, COUNT(*) AS total, SUM(CASE WHEN checked_at >= ? THEN 1 ELSE 0 END) AS recent "
    "FROM verification WHERE client IS NOT NULL GROUP BY client"
)
VERIFICATION_COUNTS_OF_CLIENT = (
    "SELECT client, COUNT(*) AS total, SUM(CASE WHEN checked_at >= ? THEN 1 ELSE 0 END) AS recent "
    "FROM verification WHERE client = ? GROUP BY client"
)
CLIENT_LAST_USE = "SELECT id, last_used_at FROM api_client WHERE client_id = ?"
# Only moves last use forward (past the given moment), so instances noting it at once agree.
NOTE_CLIENT_USE = "UPDATE api_client SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)"

# --- the audit trail as staff read it ----------------------------------------------------------------

AUDIT_COLUMNS = "id, occurred_at, actor, actor_role, action, subject_kind, subject_code, before_state, after_state, source"
# Conditions of the audit-log filter by name; each binds one `?` but subject_code.
AUDIT_CONDITIONS = {
    "person": "LOWER(actor) LIKE ? ESCAPE '\\'",
    "subject_kind": "subject_kind = ?",
    "action": "action = ?",
    "from": "occurred_at >= ?",
    "before": "occurred_at < ?",
    "id_above": "id > ?",
    "id_from": "id >= ?",
    "id_below": "id < ?",
    "id_to": "id <= ?",
}
# Codes are upper case, usernames and client ids lower case: the spellings to try, each bound.
SUBJECT_CODE_SPELLINGS = 3
AUDIT_CONDITIONS["subject_code"] = f"subject_code IN ({marks(SUBJECT_CODE_SPELLINGS)})"
AUDIT_ORDER = {"newest first": "ORDER BY id DESC", "oldest first": "ORDER BY id ASC"}


def _where(conditions: list[str]) -> str:
    # Only fragments named in AUDIT_CONDITIONS: a name not there raises KeyError rather than reach SQL.
    return " WHERE " + " AND ".join(AUDIT_CONDITIONS[name] for name in conditions) if conditions else ""


def audit_events(conditions: list[str], order: str) -> str:
    """Events meeting the named conditions in `order` (a key of AUDIT_ORDER), then a LIMIT parameter."""
    return "SELECT " + AUDIT_COLUMNS + " FROM audit_event" + _where(conditions) + " " + AUDIT_ORDER[order] + " LIMIT ?"  # nosec B608 # fragments only from AUDIT_CONDITIONS and AUDIT_ORDER


def any_audit_event(conditions: list[str]) -> str:
    """One event id meeting the named conditions, if there is one."""
    return "SELECT id FROM audit_event" + _where(conditions) + " LIMIT 1"  # nosec B608 # fragments only from AUDIT_CONDITIONS


# --- records as staff list and view them ---------------------------------------------------------------

# record kind -> (table, code column)
RECORD_TABLES = {
    "programme": ("programme", "code"),
    "coach": ("coach", "registration_number"),
    "training": ("training", "code"),
    "organisation": ("organisation", "code"),
}
RECORD_LIST_COLUMNS = {
    "programme": "r.id, r.code, r.name, r.guidance_type, r.format, r.cities, r.updated_at, o.code AS organisation_code, o.name AS organisation_name",
    "coach": "r.id, r.registration_number AS code, r.initials, r.prefix, r.surname, r.city, r.agb_code, r.email, r.updated_at",
    "training": "r.id, r.code, r.name, r.guidance_types, r.formats, r.updated_at, o.code AS organisation_code, o.name AS organisation_name",
    "organisation": "r.id, r.code, r.name, r.city, r.kvk_number, r.agb_code, r.updated_at",
}
# record kind -> sort key -> ORDER BY; the first key of each kind is its default.
RECORD_ORDERS = {
    "programme": {"name": "r.name, r.code", "code": "r.code", "changed": "r.updated_at DESC, r.code"},
    "coach": {"name": "r.surname, r.initials, r.registration_number", "code": "r.registration_number",
              "changed": "r.updated_at DESC, r.registration_number"},
    "training": {"name": "r.name, r.code", "code": "r.code", "changed": "r.updated_at DESC, r.code"},
    "organisation": {"name": "r.name, r.code", "code": "r.code", "changed": "r.updated_at DESC, r.code"},
}
# Kinds whose records belong to an organisation: lists and views show its code and name.
OWNED_KINDS = ("programme", "training")
ORGANISATION_JOIN = " LEFT JOIN organisation o ON o.id = r.organisation"
ORGANISATION_COLUMNS = ", o.code AS organisation_code, o.name AS organisation_name"
# One per search word, each binding `% word%`.
RECORD_WORD = "r.search_text LIKE ?"


def _record_table(kind: str) -> str:
    # Only tables named in RECORD_TABLES: a kind not there raises KeyError rather than reach SQL.
    return '"' + RECORD_TABLES[kind][0] + '" r'


def _matching(words: int) -> str:
    return " WHERE " + " AND ".join([RECORD_WORD] * words) if words else ""


def record_count(kind: str, words: int) -> str:
    """How many records of a kind (a key of RECORD_TABLES) match `words` bound search words."""
    return "SELECT COUNT(*) AS n FROM " + _record_table(kind) + _matching(words)  # nosec B608 # table from RECORD_TABLES; words are bound


def records(kind: str, words: int, sort: str, paged: bool) -> str:
    """Records of a kind matching `words` bound search words in the order of `sort` (a key of RECORD_ORDERS[kind]), then LIMIT and OFFSET parameters if paged."""
    join = ORGANISATION_JOIN if kind in OWNED_KINDS else ""
    select = "SELECT " + RECORD_LIST_COLUMNS[kind] + " FROM " + _record_table(kind) + join  # nosec B608 # columns and table from RECORD_LIST_COLUMNS and RECORD_TABLES
    return select + _matching(words) + " ORDER BY " + RECORD_ORDERS[kind][sort] + (" LIMIT ? OFFSET ?" if paged else "")


def record_by_code(kind: str) -> str:
    """Every stored field of one record of a kind (with its organisation's code and name if it has one), by its code."""
    where = " WHERE r." + RECORD_TABLES[kind][1] + " = ?"
    if kind in OWNED_KINDS:
        return "SELECT r.*" + ORGANISATION_COLUMNS + " FROM " + _record_table(kind) + ORGANISATION_JOIN + where  # nosec B608 # table and code column from RECORD_TABLES
    return "SELECT r.* FROM " + _record_table(kind) + where  # nosec B608 # table and code column from RECORD_TABLES


# With the newest version's withdrawn flag and when it was recorded (the day a withdrawn one was withdrawn).
QUALIFICATIONS_OF_COACH = (
    "SELECT q.completed_on, q.certificate, q.version, t.code AS training_code, t.name AS training_name, "
    "(SELECT v.withdrawn FROM qualification_version v WHERE v.qualification = q.id ORDER BY v.id DESC LIMIT 1) AS withdrawn, "
    "(SELECT v.recorded_at FROM qualification_version v WHERE v.qualification = q.id ORDER BY v.id DESC LIMIT 1) AS version_recorded_at "
    "FROM qualification q JOIN training t ON t.id = q.training WHERE q.coach = ? ORDER BY q.completed_on, t.code"
)
QUALIFICATION_OF_COACH = (
    "SELECT q.version, "
    "(SELECT v.withdrawn FROM qualification_version v WHERE v.qualification = q.id ORDER BY v.id DESC LIMIT 1) AS withdrawn "
    "FROM qualification q JOIN coach c ON c.id = q.coach JOIN training t ON t.id = q.training "
    "WHERE c.registration_number = ? AND t.code = ?"
)
PROGRAMMES_OF_ORGANISATION = "SELECT code, name FROM programme WHERE organisation = ? ORDER BY name"
TRAININGS_OF_ORGANISATION = "SELECT code, name FROM training WHERE organisation = ? ORDER BY name"
DECISIONS_OF_SUBJECT = "SELECT * FROM decision WHERE subject_kind = ? AND subject_id = ? ORDER BY id"

# --- decisions as staff record them -------------------------------------------------------------------

# subject kind -> the ids and codes of its subjects (table and code column per kind), for codes bound by `Writer.fetch_in`.
SUBJECTS_WITH_CODE_IN = {
    "training": 'SELECT id, code AS code FROM "training" WHERE code IN',
    "programme": 'SELECT id, code AS code FROM "programme" WHERE code IN',
    "coach": 'SELECT id, registration_number AS code FROM "coach" WHERE registration_number IN',
}
DECISIONS_OF_SUBJECTS_IN = "SELECT * FROM decision WHERE subject_kind = ? AND subject_id IN"
PROGRAMME_DESIGNS_WITH_CODE_IN = "SELECT code, guidance_type, format, sessions, contact_minutes FROM programme WHERE code IN"
LAST_DECISION = "SELECT id, recorded_at FROM decision ORDER BY id DESC LIMIT 1"
DESIGNS_OF_PROGRAMMES_WITH_CODE_IN = (
    "SELECT d.id, p.code, d.effective_from, d.sessions, d.contact_minutes, d.override_reason, d.recorded_at, d.recorded_by "
    "FROM programme_design d JOIN programme p ON p.id = d.programme WHERE p.code IN"
)
DESIGNS_OF_PROGRAMME = (
    "SELECT id, effective_from, sessions, contact_minutes, override_reason, recorded_at, recorded_by FROM programme_design "
    "WHERE programme = ? ORDER BY id"
)
CARE_STANDARD = "SELECT id, in_force_from, strict_from, reason, recorded_at, recorded_by FROM care_standard ORDER BY id"

# --- the foundation's reference series ---------------------------------------------------------------

# The highest number in one year's series (`SKZ-2026-` and 4 to 9 digits) over decisions and pending proposals;
# references of any other shape (SKZ-1, G-1, SKZ-2026-0142a) are no part of it. Capitals do not count, as in the
# reference checks. The series head is a reference's first nine characters (a four-digit year), the number the rest.
# Decisions are many: migration 0016 indexes them by these very expressions (SQLite uses an index on expressions only
# for the same text), in order of number: leading zeros aside a longer number is a larger one (`00000012` is 12, below
# `0143`), then by digits. So the highest of the series' shape is the highest among the top 50 read down the index;
# only when none of them has that shape is the whole series read. (With the shape test in the same scan, PostgreSQL's
# planner guesses it leaves one row and reads the whole series to sort it.) Pending proposals are few (an index on
# state). Parameter, three times: the series head in capitals (`SKZ-2026-`).
IN_SERIES_SHAPE = "LENGTH(SUBSTR(reference, 10)) BETWEEN 4 AND 9 AND LTRIM(SUBSTR(reference, 10), '0123456789') = ''"
HIGHEST_IN_REFERENCE_SERIES = (
    "SELECT MAX(highest) AS highest FROM ("  # nosec B608 # IN_SERIES_SHAPE is a constant
    "SELECT COALESCE(("
    "SELECT MAX(CAST(SUBSTR(reference, 10) AS BIGINT)) FROM ("
    "SELECT reference FROM decision WHERE UPPER(SUBSTR(reference, 1, 9)) = ? "
    "ORDER BY LENGTH(LTRIM(SUBSTR(reference, 10), '0')) DESC, LTRIM(SUBSTR(reference, 10), '0') DESC LIMIT 50"
    f") highest_first WHERE {IN_SERIES_SHAPE}), ("
    f"SELECT MAX(CAST(SUBSTR(reference, 10) AS BIGINT)) FROM decision WHERE UPPER(SUBSTR(reference, 1, 9)) = ? AND {IN_SERIES_SHAPE}"
    ")) AS highest "
    "UNION ALL "
    "SELECT MAX(CAST(SUBSTR(reference, 10) AS BIGINT)) AS highest FROM decision_proposal "
    f"WHERE state = 'pending' AND UPPER(SUBSTR(reference, 1, 9)) = ? AND {IN_SERIES_SHAPE}"
    ") per_table"
)

# --- the dashboard -----------------------------------------------------------------------------------

# With each decision's reason (the public view shows it for suspensions and revocations) and who recorded it.
RECENT_DECISIONS = (
    "SELECT id, subject_kind, subject_id, kind, starts_on, ends_on, target_id, reference, reason, recorded_at, recorded_by "
    "FROM decision ORDER BY id DESC LIMIT ?"
)

# --- four-eyes proposals -----------------------------------------------------------------------------

PROPOSAL_INSERT = (
    "INSERT INTO decision_proposal (subject_kind, subject_code, kind, reference, fields, proposed_by, proposed_role, proposed_at, state) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending') RETURNING id"
)
PROPOSAL_BY_ID = "SELECT * FROM decision_proposal WHERE id = ?"
PENDING_PROPOSALS = "SELECT * FROM decision_proposal WHERE state = 'pending' ORDER BY id"
PENDING_PROPOSAL_COUNT = "SELECT COUNT(*) AS n FROM decision_proposal WHERE state = 'pending'"
PROPOSALS_OF_SUBJECT = "SELECT * FROM decision_proposal WHERE subject_kind = ? AND subject_code = ? ORDER BY id DESC"
PENDING_REFERENCE = (
    "SELECT id FROM decision_proposal WHERE state = 'pending' AND subject_kind = ? AND subject_code = ? AND UPPER(reference) = UPPER(?)"
)
# Only a pending proposal changes state, once: the state in the WHERE makes a second approval find nothing.
PROPOSAL_DECIDE = (
    "UPDATE decision_proposal SET state = ?, decided_by = ?, decided_at = ?, rejection_reason = ?, decision_id = ? "
    "WHERE id = ? AND state = 'pending' RETURNING id"
)

# --- the staff search box ----------------------------------------------------------------------------

# kind -> records holding an AGB code (not part of search_text, which holds words).
AGB_CODE_MATCHES = {
    "coach": "SELECT registration_number AS code FROM coach WHERE agb_code = ?",
    "organisation": "SELECT code FROM organisation WHERE agb_code = ?",
}
DECISIONS_WITH_REFERENCE = "SELECT id, subject_kind, subject_id, kind, reference, target_id FROM decision WHERE UPPER(reference) = UPPER(?) ORDER BY id"
PROPOSALS_WITH_REFERENCE = "SELECT * FROM decision_proposal WHERE UPPER(reference) = UPPER(?) ORDER BY id"
