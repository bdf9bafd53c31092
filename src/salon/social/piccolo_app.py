from pathlib import Path

from piccolo.conf.apps import AppConfig

from salon.social.tables import Block, Follow, FriendRequest, Friendship, Mute

APP_CONFIG = AppConfig(
    app_name="social",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "piccolo_migrations" / "social"),
    table_classes=[Follow, FriendRequest, Friendship, Block, Mute],
    migration_dependencies=["salon.accounts.piccolo_app"],
    commands=[],
)
