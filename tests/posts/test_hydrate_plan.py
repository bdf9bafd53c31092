"""What hydrating a page reads in Postgres grows with the page, not with the viewer's history or the moderation
queue: the viewer's like, repost and bookmark of each post, their relation to its author, and whether it is on hold
are one index probe per post (``salon.lib.db.probe_sql``). Written as ``EXISTS``, Postgres hashed every like of the
viewer and every post on hold, once per page."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from salon.posts.hydrate import _LOAD_WITH_REFERENCES
from salon.posts.tables import Post
from tests.posts.helpers import new_post

HISTORY = 2000  # likes and bookmarks of the viewer, and posts on hold
PAGE = 3
PROBED = {"likes", "bookmarks", "reposts", "follows", "friendships", "mutes", "blocks", "moderation_holds"}


def _rows_read(node: dict[str, Any], totals: dict[str, float]) -> None:
    relation = node.get("Relation Name")
    if relation in PROBED:
        read = node["Actual Rows"] * node["Actual Loops"] + node.get("Rows Removed by Filter", 0) * node["Actual Loops"]
        totals[relation] = totals.get(relation, 0) + read
    for child in node.get("Plans", []):
        _rows_read(child, totals)


async def test_a_page_reads_rows_in_proportion_to_the_page(client: httpx.AsyncClient, make_users) -> None:
    alice, bob = await make_users("alice", "bob")
    await client.post("/api/v1/users/bob/follow", headers=alice.headers)
    page = [uuid.UUID((await new_post(client, bob, f"on the page {i}"))["id"]) for i in range(PAGE)]
    await Post.raw(
        """
        WITH history AS (
          INSERT INTO posts (id, author, content) SELECT gen_random_uuid(), {}, 'old' FROM generate_series(1, {})
          RETURNING id
        ),
        liked AS (INSERT INTO likes (id, post, liker) SELECT gen_random_uuid(), id, {} FROM history),
        bookmarked AS (INSERT INTO bookmarks (id, post, owner) SELECT gen_random_uuid(), id, {} FROM history)
        INSERT INTO moderation_holds (id, subject_type, subject_id) SELECT gen_random_uuid(), 'post', id FROM history
        """,
        uuid.UUID(bob.id), HISTORY, uuid.UUID(alice.id), uuid.UUID(alice.id),
    )  # fmt: skip
    await Post.raw("ANALYZE")

    plan = await Post.raw(f"EXPLAIN (ANALYZE, FORMAT JSON) {_LOAD_WITH_REFERENCES}", uuid.UUID(alice.id), page, page)
    totals: dict[str, float] = {}
    _rows_read(json.loads(plan[0]["QUERY PLAN"])[0]["Plan"], totals)

    assert totals, plan  # the probes show in the plan
    assert all(read <= PAGE for read in totals.values()), totals
