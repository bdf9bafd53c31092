from pathlib import Path

from piccolo.conf.apps import AppConfig

from salon.domains import piccolo_apps

MIGRATIONS = Path(__file__).resolve().parents[3] / "piccolo_migrations" / "system"

# Its migrations fix things across the other apps' tables, so the system app migrates last.
OTHER_APPS = [app for app in piccolo_apps() if app != __name__]

APP_CONFIG = AppConfig(
    app_name="system",
    migrations_folder_path=str(MIGRATIONS),
    table_classes=[],
    migration_dependencies=OTHER_APPS,
    commands=[],
)
