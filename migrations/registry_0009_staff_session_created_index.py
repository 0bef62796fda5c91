"""Expired staff sessions are deleted by `last_seen_at < ? OR created_at < ?`: with only last_seen_at indexed,
that clean-up scanned the whole table inside the write transaction. An index on created_at lets both engines
answer each side of the OR from an index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff session created_at index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl("CREATE INDEX staff_session_created ON staff_session (created_at)")

    manager.add_raw(create_index)
    return manager
