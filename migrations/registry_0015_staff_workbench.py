"""Staff workbench: a decision's internal note and whether its reason was recorded as public; who proposed a
four-eyes decision; proposals waiting for a second person; staff accounts that must choose their own password
(a one-time password or an invitation link)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-12-01T17:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff workbench"

# Existing decisions keep reason_public NULL: their reasons are published as before (suspensions and
# revocations only), since staff wrote the others when the form did not say they would be public.
COLUMNS = [
    "ALTER TABLE decision ADD COLUMN internal_note TEXT NULL",
    "ALTER TABLE decision ADD COLUMN reason_public BOOLEAN NULL",
    "ALTER TABLE decision ADD COLUMN proposed_by VARCHAR(200) NULL",
    "ALTER TABLE staff_user ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE",
    "ALTER TABLE staff_user ADD COLUMN invitation_hash VARCHAR(64) NULL",
    "ALTER TABLE staff_user ADD COLUMN invitation_expires_at BIGINT NULL",
]
PROPOSAL = (
    "CREATE TABLE decision_proposal ("
    " id {id},"
    " subject_kind VARCHAR(16) NOT NULL,"
    " subject_code VARCHAR(32) NOT NULL,"
    " kind VARCHAR(16) NOT NULL,"
    " reference VARCHAR(64) NOT NULL,"
    " fields TEXT NOT NULL,"
    " proposed_by VARCHAR(200) NOT NULL,"
    " proposed_role VARCHAR(16) NOT NULL,"
    " proposed_at TIMESTAMPTZ NOT NULL,"
    " state VARCHAR(16) NOT NULL DEFAULT 'pending',"
    " decided_by VARCHAR(200) NULL,"
    " decided_at TIMESTAMPTZ NULL,"
    " rejection_reason TEXT NULL,"
    " decision_id INTEGER NULL)"
)
INDEXES = [
    "CREATE INDEX decision_proposal_state ON decision_proposal (state, id)",
    "CREATE INDEX decision_proposal_subject ON decision_proposal (subject_kind, subject_code)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        sqlite = isinstance(engine, SQLiteEngine)
        for statement in COLUMNS:
            await engine.run_ddl(statement.replace("DEFAULT FALSE", "DEFAULT 0") if sqlite else statement)
        await engine.run_ddl(PROPOSAL.format(id="INTEGER PRIMARY KEY" if sqlite else "SERIAL PRIMARY KEY"))
        for statement in INDEXES:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
