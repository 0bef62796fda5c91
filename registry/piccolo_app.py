"""The Piccolo app: the registry's tables and the migrations folder at the top of the project."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from registry.tables import ALL_TABLES

MIGRATIONS_FOLDER = Path(__file__).resolve().parent.parent / "migrations"

APP_CONFIG = AppConfig(
    app_name="registry",
    migrations_folder_path=str(MIGRATIONS_FOLDER),
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)
