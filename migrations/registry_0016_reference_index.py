"""An index on decisions by reference series and number, so the next free reference of a year's series is found
by walking down from its highest number instead of reading every decision."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "decision reference series index"

# The same expressions as HIGHEST_IN_REFERENCE_SERIES in registry/services/staff/queries.py, character for character
# (SQLite uses an index on expressions only for the very same expressions): the series head in capitals (`SKZ-2026-`,
# nine characters), then the number without its leading zeros by length and by its digits, so the highest number
# comes first. Equality and digit order only: the answer does not depend on the database's collation.
INDEX = (
    "CREATE INDEX decision_reference_series ON decision "
    "(UPPER(SUBSTR(reference, 1, 9)), LENGTH(LTRIM(SUBSTR(reference, 10), '0')), LTRIM(SUBSTR(reference, 10), '0'))"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def create():
        # The same DDL on both engines: SQLite (3.9 and later) and PostgreSQL both index expressions.
        await engine_finder().run_ddl(INDEX)

    manager.add_raw(create)
    return manager
