"""An author's posts and a reposter's reposts, newest first, read from their indexes alone.

The feed reads "the latest N posts (and reposts) of each of these people" in a LATERAL join: the authors above the
fan-out threshold on every home-feed read (``timeline.celebrity_entries``), every followee on a timeline rebuild.
Inside the join Postgres estimates an author's posts from the average (22 on the benchmark seed), so for an author
with thousands it read every one of them through a bitmap scan and sorted them to keep N: a followed author with
1,350 posts cost a page 3.4 ms warm and 120 ms cold, against 0.19 ms once the index carries what the join reads
(``EXPLAIN (ANALYZE, BUFFERS)``, benchmarks/RESULTS.md). With the columns in the index the planner takes an
index-only scan in index order and stops after N, whatever its estimate.

Both indexes keep their names and keys; they gain INCLUDE columns.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-23T12:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "covering indexes for an author's latest posts and a reposter's latest reposts"

COVERING = {
    "posts_author_id_desc": "posts (author, id DESC) INCLUDE (created_at, deleted_at, visibility)",
    "reposts_reposter_id_desc": "reposts (reposter, id DESC) INCLUDE (post, created_at)",
}
PLAIN = {
    "posts_author_id_desc": "posts (author, id DESC)",
    "reposts_reposter_id_desc": "reposts (reposter, id DESC)",
}


async def _replace(indexes: dict[str, str]) -> None:
    engine = engine_finder()
    for name, target in indexes.items():
        await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")
        await engine.run_ddl(f"CREATE INDEX {name} ON {target}")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="feed", description=DESCRIPTION)

    async def cover() -> None:
        await _replace(COVERING)

    async def uncover() -> None:
        await _replace(PLAIN)

    manager.add_raw(cover)
    manager.add_raw_backwards(uncover)
    return manager
