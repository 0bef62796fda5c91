"""Fill in search text and city lists for the records stored before 0004."""

import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T05:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "search text backfill"

TABLES = ("organisation", "training", "programme", "coach")
JSON_LISTS = ("cities",)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)

    async def fill_in():
        from registry.search_text import search_columns

        engine = engine_finder()
        sqlite = engine.engine_type == "sqlite"
        # The migration's own transaction (Piccolo wraps each migration in one).
        async with engine.transaction() as transaction:
            connection = transaction.connection
            for table in TABLES:
                if sqlite:
                    async with connection.execute(f'SELECT * FROM "{table}"') as cursor:
                        rows = [dict(row) for row in await cursor.fetchall()]
                else:
                    rows = [dict(record) for record in await connection.fetch(f'SELECT * FROM "{table}"')]
                updates = []
                for row in rows:
                    record = {k: json.loads(v) if k in JSON_LISTS and isinstance(v, str) else v for k, v in row.items()}
                    columns = search_columns(table, record)
                    updates.append((columns["search_text"], columns["places"], row["id"]))
                if not updates:
                    continue
                if sqlite:
                    await connection.executemany(f'UPDATE "{table}" SET search_text = ?, places = ? WHERE id = ?', updates)
                else:
                    await connection.executemany(f'UPDATE "{table}" SET search_text = $1, places = $2 WHERE id = $3', updates)

    manager.add_raw(fill_in)
    return manager
