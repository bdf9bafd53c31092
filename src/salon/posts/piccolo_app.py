from pathlib import Path

from piccolo.conf.apps import AppConfig

from salon.posts.tables import Bookmark, Like, Post, PostEdit, PostHashtag, PostMention, Repost

APP_CONFIG = AppConfig(
    app_name="posts",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "piccolo_migrations" / "posts"),
    table_classes=[Post, PostEdit, PostHashtag, PostMention, Like, Repost, Bookmark],
    migration_dependencies=["salon.accounts.piccolo_app"],
    commands=[],
)
