"""The benchmark seed writes what the services would: counters match their rows, and seeded users can sign in."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import asyncpg
import pytest
from benchmarks.seed import PASSWORD, seed
from benchmarks.seed_plan import SeedSize, plan, username

TINY = SeedSize(users=60, follows=8, posts=300, anchor=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
async def seeded(settings) -> dict[str, int]:
    report = await seed(os.environ["DATABASE_URL"], TINY)
    return {
        "users": report.users, "posts": report.posts, "likes": report.likes, "follows": report.follows,
        "conversations": report.conversations, "chats": report.chats,
    }  # fmt: skip


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


async def test_conversation_and_chat_counters_match_their_rows(seeded) -> None:
    ai_mismatched = await _fetchval(
        """
        SELECT count(*) FROM ai_conversations c WHERE
          c.message_count <> (SELECT count(*) FROM ai_messages WHERE conversation = c.id)
          OR c.message_count <> (SELECT coalesce(max(seq), 0) FROM ai_messages WHERE conversation = c.id)
          OR c.updated_at < (SELECT max(created_at) FROM ai_messages WHERE conversation = c.id)
          OR c.title = ''
        """
    )
    usage_mismatched = await _fetchval(
        """
        SELECT count(*) FROM (
          SELECT c.owner, m.created_at::date AS day, sum(m.prompt_tokens) AS prompt, sum(m.output_tokens) AS output,
                 count(*) AS requests
          FROM ai_messages m JOIN ai_conversations c ON c.id = m.conversation WHERE m.role = 'model'
          GROUP BY 1, 2
        ) spent FULL JOIN ai_usage_days u ON u.owner = spent.owner AND u.day = spent.day
        WHERE u.id IS NULL OR spent.owner IS NULL OR u.prompt_tokens <> spent.prompt
          OR u.output_tokens <> spent.output OR u.requests <> spent.requests
          OR u.total_tokens <> u.prompt_tokens + u.output_tokens
        """
    )
    chat_mismatched = await _fetchval(
        """
        SELECT count(*) FROM chats c WHERE
          c.last_seq <> (SELECT count(*) FROM chat_messages WHERE chat = c.id)
          OR c.last_message_id IS DISTINCT FROM (SELECT id FROM chat_messages WHERE chat = c.id AND seq = c.last_seq)
          OR c.last_activity_at <> (SELECT max(created_at) FROM chat_messages WHERE chat = c.id)
          OR c.member_count <> (SELECT count(*) FROM chat_members WHERE chat = c.id)
          OR (c.kind = 'direct') <> (c.direct_key IS NOT NULL)
          OR (c.kind = 'group' AND (SELECT kind FROM chat_messages WHERE chat = c.id AND seq = 1) <> 'system')
        """
    )
    # Read state: a marker never passes the last message, every member has read what they sent, and the latest read
    # mark of each member is where their marker stands.
    read_mismatched = await _fetchval(
        """
        SELECT count(*) FROM chat_members m JOIN chats c ON c.id = m.chat WHERE
          m.last_read_seq > c.last_seq
          OR m.last_read_seq < (SELECT coalesce(max(seq), 0) FROM chat_messages
                                WHERE chat = m.chat AND sender = m.member)
          OR m.last_read_seq <> (SELECT coalesce(max(up_to_seq), 0) FROM chat_read_marks
                                 WHERE chat = m.chat AND reader = m.member)
        """
    )
    assert seeded["conversations"] > 0
    assert seeded["chats"] > 0
    assert await _fetchval("SELECT count(*) FROM chats WHERE kind = 'group'") > 0
    assert (ai_mismatched, usage_mismatched, chat_mismatched, read_mismatched) == (0, 0, 0, 0)


async def test_a_seeded_user_reads_their_conversations_and_chats(seeded, client) -> None:
    """The rows are what the services read: a seeded owner lists and pages them through the API."""
    owner = await _fetchval(
        "SELECT u.username FROM users u WHERE EXISTS (SELECT 1 FROM ai_conversations WHERE owner = u.id)"
        " AND EXISTS (SELECT 1 FROM chat_members WHERE member = u.id) ORDER BY u.username LIMIT 1"
    )
    signed_in = await client.post("/api/v1/auth/login", json={"login": owner, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    conversations = (await client.get("/api/v1/ai/conversations", headers=headers)).json()["items"]
    assert conversations
    assert all(item["title"] for item in conversations)
    first = conversations[0]
    messages = await client.get(f"/api/v1/ai/conversations/{first['id']}/messages?limit=100", headers=headers)
    assert messages.status_code == 200, messages.text
    assert [m["role"] for m in messages.json()["items"]][:2] == ["user", "model"]
    chats = await client.get("/api/v1/chats", headers=headers)
    assert chats.status_code == 200, chats.text
    chat = chats.json()["items"][0]
    history = await client.get(f"/api/v1/chats/{chat['id']}/messages", headers=headers)
    assert history.status_code == 200, history.text
    assert history.json()["items"]
    assert (await client.get("/api/v1/chats/unread", headers=headers)).status_code == 200


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
