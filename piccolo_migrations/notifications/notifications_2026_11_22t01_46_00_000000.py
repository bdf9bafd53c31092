"""Indexes for notifications: one open group per recipient and key (the grouping upsert's conflict target), and the
list / unread-count scans by recipient in activity order."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T01:46:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notification grouping and list indexes"

INDEXES = {
    "notifications_open_group": "UNIQUE INDEX IF NOT EXISTS notifications_open_group "
    "ON notifications (recipient, group_key) WHERE open",
    "notifications_recipient_activity": "INDEX IF NOT EXISTS notifications_recipient_activity "
    "ON notifications (recipient, activity_id DESC)",
    "notification_actors_latest": "INDEX IF NOT EXISTS notification_actors_latest "
    "ON notification_actors (notification, created_at DESC)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for definition in INDEXES.values():
            await engine.run_ddl(f"CREATE {definition}")

    async def drop_indexes():
        engine = engine_finder()
        for name in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
