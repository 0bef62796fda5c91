"""The SQL of the services every capability shares: the audit chain and the rows it covers, rate-limit counters, backups' counts.

Statements with `?` parameters only (capabilities keep theirs in `services/<capability>/queries.py`).
"""

from __future__ import annotations

from registry.services.sql import COLUMNS_OF

# --- the audit chain ---------------------------------------------------------------------------------

LAST_AUDIT_HASH = "SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1"
ALL_AUDIT_EVENTS = "SELECT * FROM audit_event ORDER BY id"
AUDIT_EVENTS_AFTER = "SELECT * FROM audit_event WHERE id > ? ORDER BY id LIMIT ?"
# Where the keyed chain starts and which rows must be named by an event (migration 0010); the first row counts.
AUDIT_CHAIN_MARK = "SELECT keyed_from, rows_from FROM audit_chain ORDER BY id"
# The chain's tip for an anchor: the newest event, and how many events follow a known one.
LAST_AUDIT_EVENT = "SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1"
AUDIT_EVENTS_SINCE = "SELECT COUNT(*) AS n FROM audit_event WHERE id > ? AND id <= ?"

# The columns of each table whose rows the audit chain covers that an event's row digest seals
# (search_text and places are derived from them, not facts of their own).
_RECORD = ("created_at", "updated_at", "version")
DIGESTED_COLUMNS = {
    "organisation": ("code", "name", "kvk_number", "agb_code", "agb_codes", "city", "address", "postcode", "phone", "website", *_RECORD),
    "training": ("code", "name", "organisation", "guidance_types", "formats", *_RECORD),
    "programme": ("code", "name", "organisation", "guidance_type", "format", "modes", "sessions", "contact_minutes", "cities", *_RECORD),
    "coach": ("registration_number", "initials", "prefix", "surname", "agb_code", "big_number", "email", "phone", "city",
              "internal_note", *_RECORD),
    "qualification": ("coach", "training", "completed_on", "certificate", "recorded_at", "updated_at", "version"),
    "decision": ("subject_kind", "subject_id", "kind", "starts_on", "ends_on", "target_id", "reference", "reason",
                 "override_reason", "recorded_at", "recorded_by", "internal_note", "reason_public", "proposed_by"),
}
# Table and column names from the fixed lists above only, never from input.
_SELECTED = {table: ", ".join(("id", *columns)) for table, columns in DIGESTED_COLUMNS.items()}
DIGESTED_ROWS_IN = {table: "SELECT " + _SELECTED[table] + ' FROM "' + table + '" WHERE id IN' for table in _SELECTED}  # nosec B608 # fixed names above
DIGESTED_ROWS = {table: "SELECT " + _SELECTED[table] + ' FROM "' + table + '" ORDER BY id' for table in _SELECTED}  # nosec B608 # fixed names above

# --- rate limits -------------------------------------------------------------------------------------

# Adds this instance's count to the window's shared row (one statement, many rows)...
ADD_TO_COUNTER = (
    "INSERT INTO rate_limit_counter (bucket, window_start, used) VALUES (?, ?, ?) "
    "ON CONFLICT (bucket, window_start) DO UPDATE SET used = rate_limit_counter.used + excluded.used"
)
# ... then reads back what every instance has used of those buckets (the window, then the buckets).
COUNTERS_IN_WINDOW = "SELECT bucket, used FROM rate_limit_counter WHERE window_start = ? AND bucket IN"
FORGET_COUNTERS_BEFORE = "DELETE FROM rate_limit_counter WHERE window_start < ?"

# --- backups and restores ----------------------------------------------------------------------------

SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"
POSTGRES_TABLES = "SELECT tablename AS name FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"
DATA_VERSION = "SELECT COALESCE(MAX(id), 0) AS id FROM decision"
END_ALL_SESSIONS = "DELETE FROM staff_session"
# PostgreSQL: names this transaction's snapshot, for pg_dump --snapshot to dump exactly what it sees.
EXPORT_SNAPSHOT = "SELECT pg_export_snapshot()"
# What a backup reports the rows of: the registry's tables, then sessions, rate-limit windows and applied migrations.
COUNTED_TABLES = (*COLUMNS_OF, "staff_session", "rate_limit_counter", "audit_chain", "migration")
# A table name cannot be bound: one statement per table of the fixed list above, never from input.
ROW_COUNT = {table: f'SELECT COUNT(*) AS n FROM "{table}"' for table in COUNTED_TABLES}  # nosec B608 # table names from the fixed list above
