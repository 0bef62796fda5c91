"""Composite unique keys, lookup indexes, and triggers that make decisions and audit events append-only."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T15:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "constraints, indexes and append-only triggers"

INDEXES = [
    "CREATE UNIQUE INDEX decision_subject_reference ON decision (subject_kind, subject_id, reference)",
    "CREATE INDEX decision_subject ON decision (subject_kind, subject_id, id)",
    "CREATE INDEX decision_target ON decision (target_id)",
    "CREATE UNIQUE INDEX qualification_coach_training ON qualification (coach, training)",
    "CREATE INDEX qualification_training ON qualification (training)",
    "CREATE INDEX training_organisation ON training (organisation)",
    "CREATE INDEX programme_organisation ON programme (organisation)",
    "CREATE INDEX audit_event_subject ON audit_event (subject_kind, subject_code)",
    "CREATE INDEX verification_client ON verification (client, checked_at)",
]

APPEND_ONLY_TABLES = ("decision", "audit_event")

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows can be neither updated nor deleted'); END"
    for table in APPEND_ONLY_TABLES
    for verb in ("update", "delete")
]

POSTGRES_TRIGGERS = [
    """CREATE FUNCTION registry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: rows can be neither updated nor deleted', TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END
    $$""",
    *(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION registry_append_only()"
        for table in APPEND_ONLY_TABLES
    ),
    *(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION registry_append_only()"
        for table in APPEND_ONLY_TABLES
    ),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def create_constraints():
        engine = engine_finder()
        triggers = SQLITE_TRIGGERS if engine.engine_type == "sqlite" else POSTGRES_TRIGGERS
        for statement in (*INDEXES, *triggers):
            await engine.run_ddl(statement)

    manager.add_raw(create_constraints)
    return manager
