"""Index a sender's recent messages: moderation's repeated-content check counts the same text sent by the same
person within a day when it screens a message to a stranger."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T04:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "chat_messages (sender, created_at) index for moderation's repeat check"

INDEX = "chat_messages_sender_created_at"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="chat", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(f"CREATE INDEX IF NOT EXISTS {INDEX} ON chat_messages (sender, created_at)")

    async def drop_index():
        await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {INDEX}")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
