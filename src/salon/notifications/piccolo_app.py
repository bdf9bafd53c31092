from pathlib import Path

from piccolo.conf.apps import AppConfig

from salon.notifications.tables import Notification, NotificationActor, NotificationMarker

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "piccolo_migrations" / "notifications"),
    table_classes=[Notification, NotificationActor, NotificationMarker],
    migration_dependencies=["salon.accounts.piccolo_app"],
    commands=[],
)
