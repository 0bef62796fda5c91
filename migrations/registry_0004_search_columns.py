"""Columns for folded search text and city lists on searchable records (filled in by 0005)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-23T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "search text columns"

TABLES = {
    "Organisation": ("organisation", "code"),
    "Training": ("training", "code"),
    "Programme": ("programme", "code"),
    "Coach": ("coach", "registration_number"),
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="registry", description=DESCRIPTION)
    for class_name, (tablename, _) in TABLES.items():
        for column in ("search_text", "places"):
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=column,
                db_column_name=column,
                column_class_name="Text",
                column_class=Text,
                params={
                    "default": "",
                    "null": False,
                    "primary_key": False,
                    "unique": False,
                    "index": False,
                    "index_method": IndexMethod.btree,
                    "choices": None,
                    "db_column_name": None,
                    "secret": False,
                },
                schema=None,
            )

    return manager
