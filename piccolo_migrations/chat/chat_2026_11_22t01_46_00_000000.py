"""Composite indexes for chat's hot queries (unique constraints already index (chat, seq), (chat, member) and the
idempotency key)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T01:46:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "chat receipts and member list indexes"

INDEXES = {
    # receipts: per reader, the first mark at or past a message's seq
    "chat_read_marks_chat_reader_seq": "chat_read_marks (chat, reader, up_to_seq)",
    # a chat's members in joining order (keyset on id)
    "chat_members_chat_id": "chat_members (chat, id)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="chat", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for name, target in INDEXES.items():
            await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes():
        engine = engine_finder()
        for name in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
