from pathlib import Path

from piccolo.conf.apps import AppConfig

from salon.ai.tables import (
    AiUsageDay,
    Conversation,
    ConversationSummary,
    Message,
    SharedConversation,
    SharedMessage,
)

APP_CONFIG = AppConfig(
    app_name="ai",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "piccolo_migrations" / "ai"),
    table_classes=[Conversation, Message, ConversationSummary, AiUsageDay, SharedConversation, SharedMessage],
    migration_dependencies=["salon.accounts.piccolo_app", "salon.posts.piccolo_app"],
    commands=[],
)
