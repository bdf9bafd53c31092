"""Indexes for the feed: reposts by reposter (timeline rebuild, celebrity merge) and recent public posts (explore,
trending)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T01:50:45:000000"
VERSION = "1.38.0"
DESCRIPTION = "feed indexes: reposts by reposter, recent public posts"

INDEXES = {
    "reposts_reposter_id_desc": "reposts (reposter, id DESC)",
    "posts_public_created_at": "posts (created_at DESC) WHERE visibility = 'public' AND deleted_at IS NULL",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="feed", description=DESCRIPTION)

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
