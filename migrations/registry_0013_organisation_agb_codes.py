"""Organisations hold zero or more AGB codes (a practice and its locations), each identifying at most one
organisation: the list in `organisation.agb_codes` (the record's field, in its order), and one row per code in
`organisation_agb_code`, whose primary key keeps a code to one organisation and finds the organisation by code.
Every stored `organisation.agb_code` becomes the first of its organisation's list (the column stays, holding the
first code). Were one code stored on two organisations, the older keeps the lookup row; both keep it in their list."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "organisation AGB codes"

STATEMENTS = [
    "ALTER TABLE organisation ADD COLUMN agb_codes JSON NOT NULL DEFAULT '[]'",
    "CREATE TABLE organisation_agb_code ("
    " agb_code VARCHAR(8) PRIMARY KEY,"
    " organisation INTEGER NOT NULL REFERENCES organisation (id),"
    " position INTEGER NOT NULL DEFAULT 0)",
    "CREATE INDEX organisation_agb_code_organisation ON organisation_agb_code (organisation)",
    "INSERT INTO organisation_agb_code (agb_code, organisation, position) "
    "SELECT agb_code, MIN(id), 0 FROM organisation WHERE agb_code IS NOT NULL AND agb_code <> '' GROUP BY agb_code",
]
# An AGB code is eight digits, so it needs no escaping inside a JSON string.
FILL_LIST = {
    "sqlite": "UPDATE organisation SET agb_codes = '[\"' || agb_code || '\"]' WHERE agb_code IS NOT NULL AND agb_code <> ''",
    "postgres": "UPDATE organisation SET agb_codes = CAST('[\"' || agb_code || '\"]' AS JSON) WHERE agb_code IS NOT NULL AND agb_code <> ''",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def add_codes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)
        await engine.run_ddl(FILL_LIST["sqlite" if engine.engine_type == "sqlite" else "postgres"])

    manager.add_raw(add_codes)
    return manager
