"""Index of published snapshots: a snapshot's messages by sequence (unique; pages of the shared view and fork)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T02:35:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ai shared snapshot indexes"

INDEXES = {"ai_shared_messages_shared_seq": "ai_shared_messages (shared, seq)"}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ai", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for name, target in INDEXES.items():
            await engine.run_ddl(f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes():
        engine = engine_finder()
        for name in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
