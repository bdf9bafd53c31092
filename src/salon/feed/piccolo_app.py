from pathlib import Path

from piccolo.conf.apps import AppConfig

from salon.feed.tables import FeedPreference

APP_CONFIG = AppConfig(
    app_name="feed",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "piccolo_migrations" / "feed"),
    table_classes=[FeedPreference],
    migration_dependencies=["salon.accounts.piccolo_app", "salon.social.piccolo_app", "salon.posts.piccolo_app"],
    commands=[],
)
