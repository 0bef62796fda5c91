"""Public contact fields of an organisation (address, postcode, phone, website; the city was there), so a visitor of a
programme page can reach its provider. All optional; the same DDL on both engines."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T17:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "organisation contact fields"

COLUMNS = (("address", 200), ("postcode", 7), ("phone", 20), ("website", 200))


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def add_columns():
        for name, length in COLUMNS:
            await engine_finder().run_ddl(f"ALTER TABLE organisation ADD COLUMN {name} VARCHAR({length}) NULL DEFAULT NULL")

    manager.add_raw(add_columns)
    return manager
