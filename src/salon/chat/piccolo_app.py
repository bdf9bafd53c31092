from pathlib import Path

from piccolo.conf.apps import AppConfig

from salon.chat.tables import Chat, ChatMember, ChatMessage, ChatPreference, ChatReadMark

APP_CONFIG = AppConfig(
    app_name="chat",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "piccolo_migrations" / "chat"),
    table_classes=[Chat, ChatMember, ChatMessage, ChatReadMark, ChatPreference],
    migration_dependencies=["salon.accounts.piccolo_app"],
    commands=[],
)
