"""A fast, deterministic data generator for benchmarks: ``python benchmarks/seed.py --users 10000 --follows 100
--posts 200000``.

Rows go in with asyncpg ``copy_records_to_table`` (bulk COPY, not row by row) and look exactly like the rows the
services write: UUIDv7 ids whose timestamp is the row's ``created_at``, entities built by ``salon.posts.text``, one
hashtag/mention index row per distinct tag/mention, and every denormalised counter (``followers_count``,
``following_count``, ``posts_count``, ``like_count``, ``repost_count``, ``reply_count``) equal to the rows behind it.

Distributions (the same for the same ``--seed``; times are offsets back from ``--anchor``, default now):

- popularity is Zipf-like by user index: ``user00000`` is followed by nearly everyone, the next few by thousands, the
  long tail by a handful. Each user follows ``--follows`` others on average (exponentially distributed).
- authors are drawn with a milder Zipf bias (popular people post more); posts spread over ``--days`` days; about
  ``--reply-share`` of posts reply to a recent post; a third carry hashtags from a Zipf-ranked vocabulary; a few
  mention a popular user; likes and reposts per post are heavy-tailed and favour popular authors.
- private AI conversations and human chats (direct and group, with read state): ``benchmarks/seed_conversations.py``.

The users, follows and posts are planned in memory first (``benchmarks/seed_plan.py``), then copied in.

Every seeded user signs in with ``PASSWORD``: it is hashed once with the app's own hasher (the ``SALON_PASSWORD_HASH_*``
settings of this process) and the hash is reused for every user.
"""

# ruff: noqa: S311 - deterministic benchmark data from seeded generators, never secrets

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("PICCOLO_CONF", "salon.piccolo_conf")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: ``benchmarks`` is a package

import asyncpg
import msgspec
from benchmarks.seed_draws import uuid7_at
from benchmarks.seed_plan import Plan, SeedSize, plan, username

from benchmarks import seed_conversations as talk

PASSWORD = "salon-benchmark-password"
EMAIL_DOMAIN = "bench.example"
COPY_BATCH = 50_000


@dataclass(frozen=True)
class SeedReport:
    users: int
    follows: int
    posts: int
    likes: int
    reposts: int
    hashtags: int
    mentions: int
    conversations: int
    ai_messages: int
    chats: int
    chat_messages: int
    seconds: float
    password: str = PASSWORD


# Rows, in the services' shapes -------------------------------------------------------------------------------------


def user_rows(result: Plan, password_hash: str) -> Iterator[tuple[object, ...]]:
    for index, user_id in enumerate(result.user_ids):
        name = username(index)
        at = result.user_created[index]
        yield (
            user_id, name, name.lower(), f"{name}@{EMAIL_DOMAIN}", password_hash, f"User {index}", "", "", "", "user",
            "UTC", result.followers_count[index], len(result.following[index]), result.posts_count[index], at, at,
            True,
        )  # fmt: skip


USER_COLUMNS = [
    "id", "username", "username_key", "email", "password_hash", "display_name", "bio", "location", "website", "role",
    "timezone", "followers_count", "following_count", "posts_count", "created_at", "updated_at", "is_active",
]  # fmt: skip


def follow_rows(result: Plan) -> Iterator[tuple[object, ...]]:
    rng = random.Random(f"{result.size.seed}:follow-ids")
    for follower, followees in enumerate(result.following):
        at = result.follow_times[follower]
        for followee in followees:
            yield uuid7_at(rng, at), result.user_ids[follower], result.user_ids[followee], at


FOLLOW_COLUMNS = ["id", "follower", "followee", "created_at"]


def post_rows(result: Plan) -> Iterator[tuple[object, ...]]:
    for post in result.posts:
        parent = None if post.reply_to is None else result.posts[post.reply_to].id
        root = None if post.root is None else result.posts[post.root].id
        yield (
            post.id, result.user_ids[post.author], "post", post.content, post.visibility, parent, root, None, [],
            msgspec.json.encode(post.entities).decode(), post.likes, post.reposts, post.reply_count, 0, post.at,
        )  # fmt: skip


POST_COLUMNS = [
    "id", "author", "kind", "content", "visibility", "reply_to_id", "root_id", "quote_of_id", "media_ids", "entities",
    "like_count", "repost_count", "reply_count", "quote_count", "created_at",
]  # fmt: skip


def entity_rows(result: Plan) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """(hashtag rows, mention rows): one per distinct tag / mentioned user of each post, like ``_index_entities``."""
    rng = random.Random(f"{result.size.seed}:entity-ids")
    hashtags, mentions = [], []
    for post in result.posts:
        hashtags += [(uuid.UUID(int=rng.getrandbits(128)), post.id, tag) for tag in post.entities.tags]
        mentions += [
            (uuid.UUID(int=rng.getrandbits(128)), post.id, uuid.UUID(user)) for user in post.entities.mentioned_ids
        ]
    return hashtags, mentions


def interaction_rows(result: Plan, kind: str) -> Iterator[tuple[object, ...]]:
    """Likes or reposts: ``post.likes``/``post.reposts`` distinct users per post, a few minutes after the post."""
    rng = random.Random(f"{result.size.seed}:{kind}")
    population = range(result.size.users)
    for post in result.posts:
        count = post.likes if kind == "likes" else post.reposts
        for user in rng.sample(population, count):
            at = post.at + timedelta(seconds=rng.randint(1, 600))
            yield uuid7_at(rng, at), post.id, result.user_ids[user], at


# Writing ---------------------------------------------------------------------------------------------------------


def password_hash() -> str:
    """``PASSWORD`` hashed once with the app's hasher and settings."""
    from salon.accounts.passwords import hasher
    from salon.settings import get_settings

    return hasher(get_settings()).hash(PASSWORD)


async def _copy(conn: asyncpg.Connection, table: str, columns: list[str], rows: Iterator[tuple[object, ...]]) -> int:
    total, started = 0, time.perf_counter()
    while batch := list(itertools.islice(rows, COPY_BATCH)):
        await conn.copy_records_to_table(table, records=batch, columns=columns)
        total += len(batch)
    print(f"seed: {table}: {total} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return total


SEEDED_TABLES = [
    "users", "follows", "posts", "post_hashtags", "post_mentions", "likes", "reposts", "ai_conversations",
    "ai_messages", "ai_usage_days", "chats", "chat_members", "chat_messages", "chat_read_marks",
]  # fmt: skip
# What the triggers of migration posts_2026_11_22t06_15_00_000000 would have counted, in one statement.
HASHTAG_COUNTS = """
INSERT INTO hashtag_counts (tag, public_posts)
SELECT h.tag, count(*) FROM post_hashtags h JOIN posts p ON p.id = h.post
WHERE p.visibility = 'public' AND p.deleted_at IS NULL GROUP BY h.tag
"""


@contextlib.asynccontextmanager
async def _bulk_load(conn: asyncpg.Connection, tables: list[str]) -> AsyncIterator[None]:
    """Load the way Postgres likes it, inside the caller's transaction: secondary indexes are dropped and rebuilt
    once afterwards (a sort instead of a million random index inserts), and foreign-key triggers are skipped
    (``session_replication_role = replica``) because the plan references only rows it inserts first. Unique and
    primary-key constraints stay checked. Any failure rolls the whole thing back, indexes included."""
    indexes = await conn.fetch(
        """
        SELECT format('%I', ci.relname) AS name, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i JOIN pg_class ct ON ct.oid = i.indrelid JOIN pg_class ci ON ci.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = ct.relnamespace
        WHERE n.nspname = 'public' AND ct.relname = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        tables,
    )
    await conn.execute("SET LOCAL session_replication_role = replica")
    await conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for index in indexes:
        await conn.execute(f"DROP INDEX {index['name']}")
    yield
    started = time.perf_counter()
    for index in indexes:
        await conn.execute(index["definition"])
    await conn.execute("SET LOCAL session_replication_role = origin")
    print(f"seed: rebuilt {len(indexes)} indexes in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)


async def seed(database_url: str, size: SeedSize) -> SeedReport:
    """Insert a whole data set into an empty, migrated database."""
    started = time.perf_counter()
    result = plan(size)
    hashed = password_hash()
    conn = await asyncpg.connect(database_url)
    try:
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM users)"):
            raise SystemExit("seed: the database already has users; seed only a freshly migrated database.")
        async with conn.transaction(), _bulk_load(conn, SEEDED_TABLES):
            users = await _copy(conn, "users", USER_COLUMNS, user_rows(result, hashed))
            follows = await _copy(conn, "follows", FOLLOW_COLUMNS, follow_rows(result))
            posts = await _copy(conn, "posts", POST_COLUMNS, post_rows(result))
            hashtag_rows, mention_rows = entity_rows(result)
            hashtags = await _copy(conn, "post_hashtags", ["id", "post", "tag"], iter(hashtag_rows))
            mentions = await _copy(conn, "post_mentions", ["id", "post", "mentioned"], iter(mention_rows))
            columns = ["id", "post", "liker", "created_at"]
            likes = await _copy(conn, "likes", columns, interaction_rows(result, "likes"))
            columns = ["id", "post", "reposter", "created_at"]
            reposts = await _copy(conn, "reposts", columns, interaction_rows(result, "reposts"))
            await conn.execute(HASHTAG_COUNTS)  # its triggers were skipped with the foreign-key ones
            talked = await _copy_talk(conn, result)
        # Leave the tables as a long-running database has them: statistics, visibility map and hint bits set. With
        # ANALYZE alone, autovacuum woke ~45 s after the seed and vacuumed posts, follows and ai_messages for ~10 s,
        # in the middle of whichever scenario the runner was measuring (the JSON reference, first).
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()
    return SeedReport(
        users, follows, posts, likes, reposts, hashtags, mentions, *talked, seconds=time.perf_counter() - started
    )


async def _copy_talk(conn: asyncpg.Connection, result: Plan) -> tuple[int, int, int, int]:
    """AI conversations and chats (``benchmarks.seed_conversations``). Returns how many conversations, AI messages,
    chats and chat messages went in."""
    size, anchor = result.size, result.anchor
    span = timedelta(days=size.days)
    ai = talk.plan_conversations(size.seed, result.user_ids, anchor, span, size.conversations, size.exchanges)
    conversations = await _copy(conn, "ai_conversations", talk.CONVERSATION_COLUMNS, iter(ai.conversations))
    ai_messages = await _copy(conn, "ai_messages", talk.AI_MESSAGE_COLUMNS, iter(ai.messages))
    await _copy(conn, "ai_usage_days", talk.USAGE_DAY_COLUMNS, iter(ai.usage_days))
    users = (result.user_ids, [username(index) for index in range(size.users)])
    sizes = (size.chats, size.chat_messages, size.group_share)
    human = talk.plan_chats(size.seed, users, result.following, anchor, span, sizes)
    chats = await _copy(conn, "chats", talk.CHAT_COLUMNS, iter(human.chats))
    await _copy(conn, "chat_members", talk.CHAT_MEMBER_COLUMNS, iter(human.members))
    chat_messages = await _copy(conn, "chat_messages", talk.CHAT_MESSAGE_COLUMNS, iter(human.messages))
    await _copy(conn, "chat_read_marks", talk.READ_MARK_COLUMNS, iter(human.read_marks))
    return conversations, ai_messages, chats, chat_messages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=SeedSize.users)
    parser.add_argument("--follows", type=int, default=SeedSize.follows, help="mean follows per user")
    parser.add_argument("--posts", type=int, default=SeedSize.posts)
    parser.add_argument("--seed", type=int, default=SeedSize.seed)
    parser.add_argument("--days", type=float, default=SeedSize.days, help="posts spread over this many days")
    help_ = "AI conversations per user (mean)"
    parser.add_argument("--conversations", type=float, default=SeedSize.conversations, help=help_)
    parser.add_argument("--chats", type=float, default=SeedSize.chats, help="direct chats each user starts (mean)")
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        sys.exit("seed: set DATABASE_URL to a migrated, empty salon database.")
    size = SeedSize(
        users=args.users, follows=args.follows, posts=args.posts, seed=args.seed, days=args.days,
        conversations=args.conversations, chats=args.chats,
    )  # fmt: skip
    report = asyncio.run(seed(database_url, size))
    print(msgspec.json.encode(report).decode())


if __name__ == "__main__":
    main()
