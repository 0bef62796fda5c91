"""Idempotency keys of the verification API: the first answer to a client's key, kept 24 hours so a
retried request gets that answer again instead of a second verification."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T17:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "idempotency keys"

STATEMENTS = [
    "CREATE TABLE idempotency_key ("
    " client INTEGER NOT NULL REFERENCES api_client (id),"
    " key_value VARCHAR(64) NOT NULL,"
    " request_hash VARCHAR(64) NOT NULL,"
    # Who is answering it: a request holding the key writes its answer only while this is its own.
    " claim VARCHAR(32) NOT NULL,"
    " created_at BIGINT NOT NULL,"
    # NULL while the first request is being answered.
    " status INTEGER NULL,"
    " content_type VARCHAR(64) NULL,"
    " body TEXT NULL,"
    " PRIMARY KEY (client, key_value))",
    "CREATE INDEX idempotency_key_created ON idempotency_key (created_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def create_idempotency_keys():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_idempotency_keys)
    return manager
