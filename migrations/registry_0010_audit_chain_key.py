"""The keyed audit chain: where it starts, and a digest of the row each event wrote.

Events written before this migration keep their plain SHA-256 chain and still verify; from the
first event after it every hash is an HMAC under the key file outside the database. The one row
of `audit_chain` marks that point (`keyed_from`: the first keyed event id) and, per covered table,
the first row id that must be named by an event (`rows_from`, JSON). It is append-only like the
events it describes. Each new event may name the row it wrote (`row_ref`, "table:id") and the
SHA-256 of that row's content (`row_digest`), both inside the keyed hash.
"""

import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "keyed audit chain: start marker and row digests"

COVERED_TABLES = ("organisation", "training", "programme", "coach", "qualification", "decision")

COLUMNS = [
    "ALTER TABLE audit_event ADD COLUMN row_ref VARCHAR(48) NULL",
    "ALTER TABLE audit_event ADD COLUMN row_digest VARCHAR(64) NULL",
]

SQLITE_TABLE = (
    "CREATE TABLE audit_chain (id INTEGER PRIMARY KEY, keyed_from INTEGER NOT NULL, rows_from TEXT NOT NULL, "
    "marked_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"
)
POSTGRES_TABLE = (
    "CREATE TABLE audit_chain (id SERIAL PRIMARY KEY, keyed_from INTEGER NOT NULL, rows_from TEXT NOT NULL, "
    "marked_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_chain_no_{verb} BEFORE {verb.upper()} ON audit_chain "
    "BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only: rows can be neither updated nor deleted'); END"
    for verb in ("update", "delete")
]
# registry_append_only() comes from migration 0002.
POSTGRES_TRIGGERS = [
    "CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain FOR EACH ROW EXECUTE FUNCTION registry_append_only()",
    "CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION registry_append_only()",
]
NEXT_ID = {table: f'SELECT COALESCE(MAX(id), 0) + 1 AS next FROM "{table}"' for table in (*COVERED_TABLES, "audit_event")}  # nosec B608 # fixed table names


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def mark_keyed_chain():
        engine = engine_finder()
        sqlite = engine.engine_type == "sqlite"
        # The migration's own transaction (Piccolo wraps each migration in one).
        async with engine.transaction() as transaction:
            connection = transaction.connection
            for statement in (*COLUMNS, SQLITE_TABLE if sqlite else POSTGRES_TABLE, *(SQLITE_TRIGGERS if sqlite else POSTGRES_TRIGGERS)):
                await connection.execute(statement)
            first = {}
            for table, statement in NEXT_ID.items():
                if sqlite:
                    async with connection.execute(statement) as cursor:
                        first[table] = int((await cursor.fetchone())["next"])
                else:
                    first[table] = int(await connection.fetchval(statement))
            keyed_from, rows_from = first.pop("audit_event"), json.dumps(first, sort_keys=True)
            if sqlite:
                await connection.execute("INSERT INTO audit_chain (keyed_from, rows_from) VALUES (?, ?)", (keyed_from, rows_from))
            else:
                await connection.execute("INSERT INTO audit_chain (keyed_from, rows_from) VALUES ($1, $2)", keyed_from, rows_from)

    manager.add_raw(mark_keyed_chain)
    return manager
