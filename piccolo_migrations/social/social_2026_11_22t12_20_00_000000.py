"""An index for the viewer's own list of blocked accounts (``GET /users/me/blocks`` pages by ``id DESC`` within one
blocker). The unique ``(blocker, blocked)`` pair cannot give that order; mutes already have ``(muter, id DESC)``."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T12:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "blocked-accounts list index"

INDEXES = {
    "blocks_blocker_id_desc": "blocks (blocker, id DESC)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="social", description=DESCRIPTION)

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
