from pathlib import Path

from piccolo.conf.apps import AppConfig

# No tables of its own: its migrations add the full-text column and the search indexes to posts, users and hashtags.
APP_CONFIG = AppConfig(
    app_name="search",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "piccolo_migrations" / "search"),
    table_classes=[],
    migration_dependencies=["salon.accounts.piccolo_app", "salon.posts.piccolo_app"],
    commands=[],
)
