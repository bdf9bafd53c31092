"""A followee's followers, read from the index alone.

A post's fan-out reads every follower of its author (``salon.feed.timeline.audience``). With the index on
``(followee, id DESC)`` alone Postgres read each follow's heap row for its ``follower``: for the benchmark seed's most
followed user (9,186 followers) a bitmap heap scan over 6,363 pages, 114 ms cold and ~7 ms warm, against 1.8 ms and
399 index pages once the index carries ``follower`` (``EXPLAIN (ANALYZE, BUFFERS)``, benchmarks/RESULTS.md). The
index keeps its name and key and gains an INCLUDE column (48 MB -> 65 MB on the seed's million follows).

Like the feed's covering indexes, it is rebuilt with a plain CREATE INDEX, which holds writes to ``follows`` while it
builds (0.8 s for a million rows here).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "covering index for a followee's followers"

COVERING = {"follows_followee_id_desc": "follows (followee, id DESC) INCLUDE (follower)"}
PLAIN = {"follows_followee_id_desc": "follows (followee, id DESC)"}


async def _replace(indexes: dict[str, str]) -> None:
    engine = engine_finder()
    for name, target in indexes.items():
        await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")
        await engine.run_ddl(f"CREATE INDEX {name} ON {target}")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="social", description=DESCRIPTION)

    async def cover() -> None:
        await _replace(COVERING)

    async def uncover() -> None:
        await _replace(PLAIN)

    manager.add_raw(cover)
    manager.add_raw_backwards(uncover)
    return manager
