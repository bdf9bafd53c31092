"""Fan-out writes (``salon.feed.timeline.push``): many timelines per script call, only built ones, trimmed."""

from __future__ import annotations

import os
import re
import uuid

import asyncpg
import httpx
import msgspec

from tests.feed.helpers import scans


async def test_push_writes_every_built_timeline_across_chunks_and_skips_unbuilt_ones(client: httpx.AsyncClient) -> None:
    from salon.feed import timeline
    from salon.feed.timeline import SENTINEL, Entry, timeline_key
    from salon.lib import valkey
    from salon.settings import get_settings

    settings = msgspec.structs.replace(get_settings(), feed_fanout_chunk_size=3, feed_timeline_max_length=2)
    built = [uuid.uuid4() for _ in range(7)]  # three chunks of at most 3
    unbuilt = [uuid.uuid4() for _ in range(2)]
    store = valkey.client()
    for user in built:
        await store.zadd(timeline_key(user), {SENTINEL: float("-inf"), uuid.uuid4().hex: 1})
    entries = [Entry(uuid.uuid4(), None, 1000), Entry(uuid.uuid4(), uuid.uuid4(), 2000)]

    written = await timeline.push([*built[:4], *unbuilt, *built[4:]], entries, settings)

    assert written == 7
    for user in built:  # the older entry was trimmed away: two entries kept, plus the sentinel
        members = await store.zrange(timeline_key(user), 0, -1)
        assert members == [SENTINEL, entries[0].member, entries[1].member]
    for user in unbuilt:  # not built: left for a rebuild from Postgres on the next read
        assert not await store.exists(timeline_key(user))


async def test_push_of_nothing_writes_nothing(client: httpx.AsyncClient) -> None:
    from salon.feed import timeline
    from salon.settings import get_settings

    assert await timeline.push([], [timeline.Entry(uuid.uuid4(), None, 1)], get_settings()) == 0
    assert await timeline.push([uuid.uuid4()], [], get_settings()) == 0


async def test_push_counts_a_change_only_where_a_read_made_the_rankings_hash(client: httpx.AsyncClient) -> None:
    from salon.feed import timeline
    from salon.feed.timeline import SENTINEL, Entry, rankings_key, timeline_key
    from salon.lib import valkey
    from salon.settings import get_settings

    store = valkey.client()
    reader, idle = uuid.uuid4(), uuid.uuid4()
    for user in (reader, idle):
        await store.zadd(timeline_key(user), {SENTINEL: float("-inf")})
    await store.hset(rankings_key(reader), "changes", 4)  # as a feed read leaves it, with its expiry
    await store.expire(rankings_key(reader), 100)

    assert await timeline.push([reader, idle], [Entry(uuid.uuid4(), None, 1000)], get_settings()) == 2

    assert await store.hget(rankings_key(reader), "changes") == "5"
    assert 0 < await store.ttl(rankings_key(reader)) <= 100  # the read's expiry, kept
    assert not await store.exists(rankings_key(idle))  # no ranking to invalidate: nothing written


async def test_an_authors_followers_are_read_from_the_index_alone(client: httpx.AsyncClient) -> None:
    """Fan-out reads every follower of a post's author: the index on (followee, id DESC) carries ``follower``, so no
    heap page is read. Without it a popular author's fan-out read a heap page per follow (benchmarks/RESULTS.md).
    The scans a table this small would get instead (sequential, bitmap) are turned off for the plan."""
    from salon.feed import timeline

    numbered = iter(range(1, 4))
    sql = re.sub(r"\{\}", lambda _: f"${next(numbered)}", timeline._FOLLOWERS_SQL)
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        await conn.execute("SET enable_seqscan = off")
        await conn.execute("SET enable_bitmapscan = off")
        plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", uuid.uuid4(), uuid.uuid4(), 20_000)
    finally:
        await conn.close()

    nodes = list(scans(msgspec.json.decode(plan)[0]["Plan"], "follows"))
    assert [(node["Node Type"], node["Index Name"]) for node in nodes] == [
        ("Index Only Scan", "follows_followee_id_desc")
    ]
