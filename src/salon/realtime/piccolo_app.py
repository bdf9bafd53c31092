from pathlib import Path

from piccolo.conf.apps import AppConfig

from salon.realtime.tables import PresenceSetting

APP_CONFIG = AppConfig(
    app_name="realtime",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "piccolo_migrations" / "realtime"),
    table_classes=[PresenceSetting],
    migration_dependencies=["salon.accounts.piccolo_app"],
    commands=[],
)
