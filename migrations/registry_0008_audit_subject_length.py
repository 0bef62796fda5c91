"""Audit events name staff accounts by username (up to 150 characters, an e-mail address for OIDC
accounts), not only registry codes (32): widen audit_event.subject_code. SQLite does not enforce
VARCHAR lengths, so only PostgreSQL needs the change."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-23T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit subject length"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def widen():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl("ALTER TABLE audit_event ALTER COLUMN subject_code TYPE VARCHAR(255)")

    manager.add_raw(widen)
    return manager
