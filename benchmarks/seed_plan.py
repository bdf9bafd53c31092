"""What ``benchmarks/seed.py`` inserts, decided in memory before the first COPY (so every counter is known when its
row is written): users, follows, posts with their entities, likes and reposts. The distributions are described in
``benchmarks/seed.py``; the same ``SeedSize`` (its ``seed`` included) gives the same plan.
"""

# ruff: noqa: S311 - deterministic benchmark data from seeded generators, never secrets

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from benchmarks.seed_draws import distinct_draws, draw, heavy_tailed, uuid7_at, zipf_cumulative

from salon.posts.text import Entities, build_entities

MENTIONABLE = 50
SENTENCES = 4096
TAGS = [f"{word}{n}" if n else word for n in range(4) for word in (
    "python", "music", "ai", "food", "travel", "art", "books", "science", "photography", "coffee", "running", "design",
    "gaming", "history", "space", "climate", "football", "cinema", "jazz", "cooking", "cats", "dogs", "hiking",
    "startups", "rust", "postgres", "linux", "poetry", "chess", "gardening",
)]  # fmt: skip
WORDS = (
    "the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "we", "talk", "about", "ideas",
    "that", "matter", "today", "and", "tomorrow", "streaming", "replies", "make", "conversations", "feel", "alive",
    "so", "share", "what", "you", "learned", "with", "friends", "followers",
)  # fmt: skip


def username(index: int) -> str:
    return f"user{index:05d}"


@dataclass(frozen=True)
class SeedSize:
    users: int = 10_000
    follows: int = 100  # mean number of users each user follows
    posts: int = 200_000
    seed: int = 42
    days: float = 7.0
    reply_share: float = 0.2
    likes_per_post: float = 3.0
    reposts_per_post: float = 0.3
    anchor: datetime | None = None  # the newest possible timestamp; default: now
    conversations: float = 2.0  # AI conversations per user (mean)
    exchanges: float = 5.0  # user message + reply pairs per AI conversation (mean)
    chats: float = 1.0  # direct chats each user starts (mean)
    chat_messages: float = 12.0  # messages per chat (mean)
    group_share: float = 0.05  # share of users who start a group chat


@dataclass
class PlannedPost:
    id: uuid.UUID
    author: int
    at: datetime
    content: str
    visibility: str
    reply_to: int | None
    root: int | None
    likes: int
    reposts: int
    entities: Entities = field(default_factory=Entities)
    reply_count: int = 0


@dataclass
class Plan:
    """Everything to insert, decided before the first COPY so counters are known when their rows are written."""

    size: SeedSize
    user_ids: list[uuid.UUID]
    user_created: list[datetime]
    following: list[list[int]]  # following[i] = indices user i follows
    follow_times: list[datetime]  # when user i made its follows (one moment per user keeps ids time-ordered)
    posts: list[PlannedPost]
    anchor: datetime  # the newest possible timestamp
    followers_count: list[int] = field(default_factory=list)
    posts_count: list[int] = field(default_factory=list)


# The plan --------------------------------------------------------------------------------------------------------


def plan(size: SeedSize) -> Plan:
    anchor = size.anchor or datetime.now(tz=UTC)
    span = timedelta(days=size.days)
    users = _plan_users(size, anchor - span * 2)
    following, follow_times = _plan_follows(size, anchor - span * 1.5)
    posts = _plan_posts(size, anchor, span, _mentionable(users[0]))
    result = Plan(size, users[0], users[1], following, follow_times, posts, anchor)
    _count(result)
    return result


def _mentionable(user_ids: Sequence[uuid.UUID]) -> dict[str, tuple[str, str]]:
    """The users posts may mention (the most popular ones), keyed as ``build_entities`` wants them."""
    return {
        username(index): (str(user_ids[index]), username(index)) for index in range(min(MENTIONABLE, len(user_ids)))
    }


def _plan_users(size: SeedSize, start: datetime) -> tuple[list[uuid.UUID], list[datetime]]:
    rng = random.Random(f"{size.seed}:users")
    created = [start + timedelta(seconds=index) for index in range(size.users)]
    return [uuid7_at(rng, at) for at in created], created


def _plan_follows(size: SeedSize, start: datetime) -> tuple[list[list[int]], list[datetime]]:
    rng = random.Random(f"{size.seed}:follows")
    popularity = zipf_cumulative(size.users, 1.0)
    following = []
    for index in range(size.users):
        count = max(1, heavy_tailed(rng, size.follows)) if size.users > 1 else 0
        following.append(distinct_draws(rng, popularity, count, exclude=index))
    times = [start + timedelta(seconds=index) for index in range(size.users)]
    return following, times


def _sentences(rng: random.Random) -> list[list[str]]:
    """A pool of sentences posts draw their words from (drawing words per post would dominate the plan's time)."""
    return [rng.choices(WORDS, k=rng.randint(5, 30)) for _ in range(SENTENCES)]


def _content(rng: random.Random, size: SeedSize, sentences: list[list[str]], tags: Sequence[float]) -> str:
    words = list(sentences[rng.randrange(len(sentences))])
    if rng.random() < 0.33:
        words += [f"#{TAGS[draw(rng, tags)]}" for _ in range(rng.randint(1, 3))]
    if size.users > 1 and rng.random() < 0.05:
        words.insert(rng.randrange(len(words) + 1), f"@{username(rng.randrange(min(size.users, MENTIONABLE)))}")
    return " ".join(words)


def _plan_posts(
    size: SeedSize, anchor: datetime, span: timedelta, known: dict[str, tuple[str, str]]
) -> list[PlannedPost]:
    rng = random.Random(f"{size.seed}:posts")
    authorship = zipf_cumulative(size.users, 0.6)
    tags = zipf_cumulative(len(TAGS), 1.1)
    sentences = _sentences(rng)
    step = span / max(size.posts, 1)
    posts: list[PlannedPost] = []
    for index in range(size.posts):
        at = anchor - span + step * index
        author = draw(rng, authorship)
        reply_to = None
        if posts and rng.random() < size.reply_share:
            reply_to = max(0, index - 1 - int(rng.expovariate(1 / 200)))
        root = None if reply_to is None else (posts[reply_to].root if posts[reply_to].root is not None else reply_to)
        boost = 1 + 20 / (author + 1)  # popular authors get more likes and reposts
        content = _content(rng, size, sentences, tags)
        posts.append(
            PlannedPost(
                id=uuid7_at(rng, at),
                author=author,
                at=at,
                content=content,
                entities=build_entities(content, known),
                visibility="followers" if reply_to is None and rng.random() < 0.05 else "public",
                reply_to=reply_to,
                root=root,
                likes=min(size.users, heavy_tailed(rng, size.likes_per_post, boost)),
                reposts=min(size.users, heavy_tailed(rng, size.reposts_per_post, boost)),
            )
        )
        if reply_to is not None:
            posts[reply_to].reply_count += 1
    for post in posts:
        if post.visibility != "public":
            post.reposts = 0  # only public posts can be reposted
    return posts


def _count(result: Plan) -> None:
    result.followers_count = [0] * result.size.users
    for followees in result.following:
        for followee in followees:
            result.followers_count[followee] += 1
    result.posts_count = [0] * result.size.users
    for post in result.posts:
        result.posts_count[post.author] += 1
