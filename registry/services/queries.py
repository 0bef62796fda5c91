"""The SQL of the services every capability shares: the audit chain, rate-limit counters, backups' counts.

Statements with `?` parameters only (capabilities keep theirs in `services/<capability>/queries.py`).
"""

from __future__ import annotations

from registry.services.sql import COLUMNS_OF

# --- the audit chain ---------------------------------------------------------------------------------

LAST_AUDIT_HASH = "SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1"
ALL_AUDIT_EVENTS = "SELECT * FROM audit_event ORDER BY id"

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
COUNTED_TABLES = (*COLUMNS_OF, "staff_session", "rate_limit_counter", "migration")
# A table name cannot be bound: one statement per table of the fixed list above, never from input.
ROW_COUNT = {table: f'SELECT COUNT(*) AS n FROM "{table}"' for table in COUNTED_TABLES}  # nosec B608 # table names from the fixed list above
