"""Everything the rules read is replayable: append-only versions of programme designs and scopes, training scopes,
qualifications, and the care-standard record. Today's values become each record's first version, so no answer changes."""

import datetime as dt

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T17:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "versioned designs, scopes, qualifications and the care standard"

RECORDED = "recorded_at TIMESTAMPTZ NOT NULL, recorded_by VARCHAR(200) NOT NULL DEFAULT ''"
TABLES = {
    "programme_design": "programme INTEGER NOT NULL REFERENCES programme (id), effective_from DATE NOT NULL, "
                        "sessions INTEGER NULL, contact_minutes INTEGER NULL, override_reason TEXT NULL",
    "programme_scope": "programme INTEGER NOT NULL REFERENCES programme (id), guidance_type VARCHAR(16) NOT NULL, "
                       "format VARCHAR(16) NOT NULL",
    "training_scope": "training INTEGER NOT NULL REFERENCES training (id), guidance_types JSON NOT NULL, formats JSON NOT NULL",
    "qualification_version": "qualification INTEGER NOT NULL REFERENCES qualification (id), completed_on DATE NOT NULL, "
                             "certificate VARCHAR(64) NULL, withdrawn BOOLEAN NOT NULL DEFAULT FALSE",
    "care_standard": "in_force_from DATE NOT NULL, strict_from DATE NOT NULL, reason TEXT NOT NULL DEFAULT ''",
}
INDEXES = [
    "CREATE INDEX programme_design_programme ON programme_design (programme, id)",
    "CREATE INDEX programme_scope_programme ON programme_scope (programme, id)",
    "CREATE INDEX training_scope_training ON training_scope (training, id)",
    "CREATE INDEX qualification_version_qualification ON qualification_version (qualification, id)",
]
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows can be neither updated nor deleted'); END"
    for table in TABLES
    for verb in ("update", "delete")
]
# registry_append_only() is migration 0002's.
POSTGRES_TRIGGERS = [
    statement
    for table in TABLES
    for statement in (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION registry_append_only()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION registry_append_only()",
    )
]
# The care standard starts empty: with no version the rules use its defaults (in force 2026-01-01, strict 2027-01-01).
# Today's values as first versions, recorded when the record itself was (a qualification: when it was recorded),
# so an answer as known at any earlier time stays what it was.
FIRST_VERSIONS = [
    "INSERT INTO programme_design (programme, effective_from, sessions, contact_minutes, recorded_at, recorded_by) "
    "SELECT id, ?, sessions, contact_minutes, created_at, ? FROM programme ORDER BY id",
    "INSERT INTO programme_scope (programme, guidance_type, format, recorded_at, recorded_by) "
    "SELECT id, guidance_type, format, created_at, ? FROM programme ORDER BY id",
    "INSERT INTO training_scope (training, guidance_types, formats, recorded_at, recorded_by) "
    "SELECT id, guidance_types, formats, created_at, ? FROM training ORDER BY id",
    "INSERT INTO qualification_version (qualification, completed_on, certificate, withdrawn, recorded_at, recorded_by) "
    "SELECT id, completed_on, certificate, ?, recorded_at, ? FROM qualification ORDER BY id",
]
BY = "migration 0012"


def _numbered(statement: str) -> str:
    parts = statement.split("?")
    return "".join(part + (f"${n}" if n < len(parts) else "") for n, part in enumerate(parts, start=1))


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def create_versions():
        engine = engine_finder()
        sqlite = engine.engine_type == "sqlite"
        key = "id INTEGER PRIMARY KEY NOT NULL" if sqlite else "id SERIAL PRIMARY KEY"
        for table, columns in TABLES.items():
            await engine.run_ddl(f"CREATE TABLE {table} ({key}, {columns}, {RECORDED})")
        for statement in (*INDEXES, *(SQLITE_TRIGGERS if sqlite else POSTGRES_TRIGGERS)):
            await engine.run_ddl(statement)
        parameters = [(dt.date(1, 1, 1), BY), (BY,), (BY,), (False, BY)]
        async with engine.transaction() as transaction:
            connection = transaction.connection
            for statement, values in zip(FIRST_VERSIONS, parameters, strict=True):
                if sqlite:
                    await connection.execute(statement, values)
                else:
                    await connection.execute(_numbered(statement), *values)

    manager.add_raw(create_versions)
    return manager
