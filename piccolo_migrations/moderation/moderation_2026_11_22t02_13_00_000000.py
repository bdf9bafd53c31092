"""Queue and hold indexes, and the audit log made append-only by a trigger."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T02:13:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "moderation indexes and append-only audit log"

INDEXES = {
    "moderation_items_open_subject": "moderation_items (subject_type, subject_id, id) WHERE state = 'open'",
    "moderation_items_subject": "moderation_items (subject_type, subject_id)",
    "moderation_decisions_id_desc": "moderation_decisions (id DESC)",
    "moderation_sanctions_user_ends": "moderation_sanctions (user_id, ends_at)",
}

APPEND_ONLY = [
    """
    CREATE OR REPLACE FUNCTION moderation_decisions_append_only() RETURNS trigger AS $$
    BEGIN
      RAISE EXCEPTION 'moderation_decisions is an append-only audit log';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER moderation_decisions_append_only BEFORE UPDATE OR DELETE ON moderation_decisions
      FOR EACH ROW EXECUTE FUNCTION moderation_decisions_append_only()
    """,
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="moderation", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for name, target in INDEXES.items():
            await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
        for statement in APPEND_ONLY:
            await engine.run_ddl(statement)

    async def drop():
        engine = engine_finder()
        await engine.run_ddl("DROP TRIGGER IF EXISTS moderation_decisions_append_only ON moderation_decisions")
        await engine.run_ddl("DROP FUNCTION IF EXISTS moderation_decisions_append_only()")
        for name in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
