from pathlib import Path

from piccolo.conf.apps import AppConfig

MIGRATIONS = Path(__file__).resolve().parents[3] / "piccolo_migrations" / "system"

APP_CONFIG = AppConfig(
    app_name="system",
    migrations_folder_path=str(MIGRATIONS),
    table_classes=[],
    migration_dependencies=[],
    commands=[],
)
