from pathlib import Path

from piccolo.conf.apps import AppConfig

from salon.media.tables import Media, MediaAttachment

APP_CONFIG = AppConfig(
    app_name="media",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "piccolo_migrations" / "media"),
    table_classes=[Media, MediaAttachment],
    migration_dependencies=["salon.accounts.piccolo_app"],
    commands=[],
)
