"""Indexes for collecting unattached uploads and for "what is this media attached to"."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T01:53:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "media collection and attachment indexes"

INDEXES = {
    "media_unattached_created_at": "media (created_at) WHERE attached_at IS NULL",
    "media_attachments_subject": "media_attachments (subject_type, subject_id)",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="media", description=DESCRIPTION)

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
