"""Reading a prolific author's latest posts (and reposts) costs the page size, not the author's history.

The home feed merges the authors above the fan-out threshold at read time (``timeline.celebrity_entries``), a LATERAL
join whose row estimate per author is the table's average. Here, as in production, that average is far below this
author's count (pinned with ``n_distinct``, so a small test table plans like a big one): without the covering indexes
Postgres read all 400 posts and 300 reposts of the author through bitmap scans and sorted them to keep a page.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest

from salon.feed import timeline
from tests.feed.helpers import follow, scans
from tests.helpers import create_user

POSTS, REPOSTS = 400, 300


@pytest.fixture
async def conn() -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        yield connection
    finally:
        await connection.close()


async def plan_as_in_production(conn: asyncpg.Connection) -> None:
    """Statistics as on a big table: an author has ~2 posts and a reposter ~2 reposts on average."""
    await conn.execute("ALTER TABLE posts ALTER COLUMN author SET (n_distinct = -0.5)")
    await conn.execute("ALTER TABLE reposts ALTER COLUMN reposter SET (n_distinct = -0.5)")
    await conn.execute("VACUUM ANALYZE posts")
    await conn.execute("VACUUM ANALYZE reposts")


async def plan_as_before(conn: asyncpg.Connection) -> None:
    await conn.execute("ALTER TABLE posts ALTER COLUMN author RESET (n_distinct)")
    await conn.execute("ALTER TABLE reposts ALTER COLUMN reposter RESET (n_distinct)")
    await conn.execute("ANALYZE posts")
    await conn.execute("ANALYZE reposts")


async def test_a_prolific_authors_latest_posts_and_reposts_are_read_without_their_history(
    client: httpx.AsyncClient, conn: asyncpg.Connection, settings: Any
) -> None:
    reader, author = await create_user(client), await create_user(client)
    await follow(client, reader, author)
    await conn.execute(
        "INSERT INTO posts (author, content, created_at) "
        "SELECT $1, 'post ' || g, now() - ($2 - g) * interval '1 minute' FROM generate_series(1, $2) g",
        uuid.UUID(author.id), POSTS,
    )  # fmt: skip
    await conn.execute(
        "INSERT INTO reposts (post, reposter, created_at) "
        "SELECT id, author, created_at FROM posts WHERE author = $1 ORDER BY id LIMIT $2",
        uuid.UUID(author.id), REPOSTS,
    )  # fmt: skip
    everyone_is_a_celebrity = msgspec.structs.replace(settings, feed_fanout_max_followers=0)
    await plan_as_in_production(conn)
    try:
        # The first executions of a prepared statement are planned for their values, as each new pooled connection's
        # are: the case that read everything.
        await conn.execute("SET plan_cache_mode = force_custom_plan")
        numbered = iter(range(1, 10))
        sql = re.sub(r"\{\}", lambda _: f"${next(numbered)}", timeline._CELEBRITY_SQL)
        fetch = 25 + timeline._TIE_MARGIN
        now = datetime.now(UTC)
        plan = await conn.fetchval(
            f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", uuid.UUID(reader.id), 0, now, fetch, now, fetch, fetch
        )
        entries = await timeline.celebrity_entries(uuid.UUID(reader.id), None, 25, everyone_is_a_celebrity)
    finally:
        await plan_as_before(conn)

    root = msgspec.json.decode(plan)[0]["Plan"]
    for relation in ("posts", "reposts"):
        read = sum(node["Actual Rows"] * node["Actual Loops"] for node in scans(root, relation))
        assert 0 < read <= fetch, (relation, read, [node["Node Type"] for node in scans(root, relation)])
    assert len(entries) == 25
    assert entries == sorted(entries, key=lambda entry: entry.key, reverse=True)
