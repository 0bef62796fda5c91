"""Server-side staff sessions, shared by every instance: a visitor's CSRF token and pending OIDC
sign-in before sign-in, the staff member after it. Only a SHA-256 of the session id is stored."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff sessions"

STATEMENTS = [
    "CREATE TABLE staff_session ("
    " token_hash VARCHAR(64) PRIMARY KEY,"
    " staff_user INTEGER NULL REFERENCES staff_user (id),"
    " csrf_token VARCHAR(64) NOT NULL,"
    " pending TEXT NOT NULL DEFAULT '{}',"
    " created_at BIGINT NOT NULL,"
    " last_seen_at BIGINT NOT NULL,"
    " address VARCHAR(64) NOT NULL DEFAULT '')",
    "CREATE INDEX staff_session_user ON staff_session (staff_user)",
    "CREATE INDEX staff_session_last_seen ON staff_session (last_seen_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def create_sessions():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_sessions)
    return manager
