"""Time-ordered database defaults for id columns.

Piccolo turns a Python default such as ``new_id`` (a UUIDv7) into a constant: it calls it once when the migration
runs and stores the value as the column's database default. A row inserted without an id would then get that one
value, and the second such row would fail on the primary key. salon always sends ids, but the schema should not hold
that trap: every uuid column whose default is a constant now defaults to ``uuidv7()`` (Postgres 18), the same kind of
id the application makes. ``tests/system/test_schema.py`` fails if a later migration brings a constant back.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "uuid columns default to uuidv7() instead of a constant"

CONSTANT_UUID_DEFAULTS = """
SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND data_type = 'uuid' AND column_default ~ '^''[0-9a-f-]{36}''::uuid$'
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="system", description=DESCRIPTION)

    async def time_ordered_defaults():
        engine = engine_finder()
        for row in await engine.run_ddl(CONSTANT_UUID_DEFAULTS):
            table, column = row["table_name"], row["column_name"]
            await engine.run_ddl(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET DEFAULT uuidv7()')

    manager.add_raw(time_ordered_defaults)
    return manager
