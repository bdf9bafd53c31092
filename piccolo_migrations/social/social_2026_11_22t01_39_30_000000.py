"""Indexes for the hot relationship queries (lists page by ``id DESC`` within one user; reverse lookups)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T01:39:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "relationship list and reverse-lookup indexes"

INDEXES = {
    "follows_follower_id_desc": "follows (follower, id DESC)",
    "follows_followee_id_desc": "follows (followee, id DESC)",
    "friend_requests_recipient_id_desc": "friend_requests (recipient, id DESC)",
    "friend_requests_sender_id_desc": "friend_requests (sender, id DESC)",
    "friendships_owner_id_desc": "friendships (owner, id DESC)",
    "blocks_blocked_blocker": "blocks (blocked, blocker)",
    "mutes_muter_id_desc": "mutes (muter, id DESC)",
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
