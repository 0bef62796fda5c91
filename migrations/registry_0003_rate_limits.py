"""Shared per-client rate-limit counters, so limits hold across every instance of the registry."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T04:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "rate limit counters"

STATEMENTS = [
    "CREATE TABLE rate_limit_counter ("
    " bucket VARCHAR(100) NOT NULL,"
    " window_start BIGINT NOT NULL,"
    " used INTEGER NOT NULL,"
    " PRIMARY KEY (bucket, window_start))",
    "CREATE INDEX rate_limit_counter_window ON rate_limit_counter (window_start)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def create_counters():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_counters)
    return manager
