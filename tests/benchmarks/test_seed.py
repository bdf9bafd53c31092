"""The benchmark seed writes what the services would: counters match their rows, and seeded users can sign in."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import asyncpg
import pytest
from benchmarks.seed import PASSWORD, SeedSize, plan, seed, username

TINY = SeedSize(users=60, follows=8, posts=300, anchor=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
async def seeded(settings) -> dict[str, int]:
    report = await seed(os.environ["DATABASE_URL"], TINY)
    return {"users": report.users, "posts": report.posts, "likes": report.likes, "follows": report.follows}


async def _fetchval(query: str) -> object:
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()


async def test_user_counters_match_their_rows(seeded) -> None:
    mismatched = await _fetchval(
        """
        SELECT count(*) FROM users u WHERE
          u.followers_count <> (SELECT count(*) FROM follows WHERE followee = u.id)
          OR u.following_count <> (SELECT count(*) FROM follows WHERE follower = u.id)
          OR u.posts_count <> (SELECT count(*) FROM posts WHERE author = u.id AND deleted_at IS NULL)
        """
    )
    assert seeded["users"] == TINY.users
    assert mismatched == 0


async def test_post_counters_match_their_rows(seeded) -> None:
    mismatched = await _fetchval(
        """
        SELECT count(*) FROM posts p WHERE
          p.like_count <> (SELECT count(*) FROM likes WHERE post = p.id)
          OR p.repost_count <> (SELECT count(*) FROM reposts WHERE post = p.id)
          OR p.reply_count <> (SELECT count(*) FROM posts r WHERE r.reply_to_id = p.id)
        """
    )
    assert seeded["likes"] > 0
    assert mismatched == 0


async def test_references_point_at_existing_rows(seeded) -> None:
    """Foreign-key triggers are skipped during the bulk load, so check every reference by hand."""
    dangling = await _fetchval(
        """
        SELECT (SELECT count(*) FROM follows f WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = f.followee))
             + (SELECT count(*) FROM posts p WHERE p.reply_to_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM posts q WHERE q.id = p.reply_to_id))
             + (SELECT count(*) FROM posts p WHERE p.root_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM posts q WHERE q.id = p.root_id AND q.reply_to_id IS NULL))
             + (SELECT count(*) FROM likes l WHERE NOT EXISTS (SELECT 1 FROM posts WHERE id = l.post))
             + (SELECT count(*) FROM post_hashtags h WHERE NOT EXISTS (SELECT 1 FROM posts WHERE id = h.post))
        """
    )
    assert dangling == 0


async def test_hashtag_rows_match_post_entities(seeded) -> None:
    mismatched = await _fetchval(
        """
        SELECT count(*) FROM posts p WHERE
          (SELECT count(DISTINCT lower(h->>'tag')) FROM jsonb_array_elements(p.entities->'hashtags') h)
          <> (SELECT count(*) FROM post_hashtags WHERE post = p.id)
        """
    )
    assert await _fetchval("SELECT count(*) FROM post_hashtags") > 0
    assert mismatched == 0
    wrong_counts = await _fetchval(
        """
        SELECT count(*) FROM (
          SELECT h.tag, count(*) FILTER (WHERE p.visibility = 'public' AND p.deleted_at IS NULL) AS expected
          FROM post_hashtags h JOIN posts p ON p.id = h.post GROUP BY h.tag
        ) e LEFT JOIN hashtag_counts c ON c.tag = e.tag
        WHERE coalesce(c.public_posts, 0) <> e.expected
        """
    )
    assert wrong_counts == 0  # the seed fills what the skipped triggers would have counted


async def test_a_seeded_user_signs_in_with_the_known_password(seeded, client) -> None:
    res = await client.post("/api/v1/auth/login", json={"login": username(7), "password": PASSWORD})
    assert res.status_code == 200, res.text
    wrong = await client.post("/api/v1/auth/login", json={"login": username(7), "password": PASSWORD + "x"})
    assert wrong.status_code == 401


def test_the_plan_is_deterministic_and_skewed() -> None:
    size = SeedSize(users=2000, follows=20, posts=10, anchor=TINY.anchor)
    first, second = plan(size), plan(size)
    assert first.user_ids == second.user_ids
    assert first.following == second.following
    assert [post.id for post in first.posts] == [post.id for post in second.posts]
    # A few authors have most of the followers: the most followed has hundreds, the median a handful.
    counts = sorted(first.followers_count)
    assert counts[-1] > 20 * counts[len(counts) // 2]
