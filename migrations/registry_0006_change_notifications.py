"""PostgreSQL: NOTIFY registry_changes after every write that leaves audit events, so every instance
brings its in-memory index up to date at once instead of at its next poll. (SQLite instances look at
PRAGMA data_version instead; nothing to do there.)"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T05:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "change notifications"

STATEMENTS = [
    """CREATE FUNCTION registry_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('registry_changes', '');
        RETURN NULL;
    END
    $$""",
    "CREATE TRIGGER audit_event_notify AFTER INSERT ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION registry_notify_change()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def create_trigger():
        engine = engine_finder()
        if engine.engine_type == "sqlite":
            return
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_trigger)
    return manager
