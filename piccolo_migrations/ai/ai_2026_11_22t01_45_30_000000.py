"""Indexes of AI conversations: the owner's recent conversations, messages by sequence (unique), replies still
streaming, summaries by conversation, and one usage row per user and day (the upsert's conflict target)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T01:45:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "ai conversation indexes"

INDEXES = {  # name -> (unique, target)
    "ai_conversations_owner_updated": (False, "ai_conversations (owner, updated_at DESC, id DESC)"),
    "ai_messages_conversation_seq": (True, "ai_messages (conversation, seq)"),
    "ai_messages_streaming": (False, "ai_messages (conversation) WHERE status = 'streaming'"),
    "ai_summaries_conversation_id": (False, "ai_summaries (conversation, id DESC)"),
    "ai_usage_days_owner_day": (True, "ai_usage_days (owner, day)"),
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ai", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for name, (unique, target) in INDEXES.items():
            await engine.run_ddl(f"CREATE {'UNIQUE ' if unique else ''}INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes():
        engine = engine_finder()
        for name in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
