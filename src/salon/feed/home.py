"""The home feed: ``chronological``, ``engagement`` and ``ranked``, with the viewer's choice remembered.

Pipeline (as in Bluesky's AppView and Twitter's home-mixer): candidate entries (the Valkey timeline plus authors
above the fan-out threshold, read from Postgres) -> ``candidates.resolve`` (who may see what, now) -> ordering ->
``hydrate`` (posts' own single hydration, reusing the rows ``resolve`` read) -> items with a ``reason``. A warm
first page costs three Valkey round trips (token check, ``_open``, the page's entries) and one query (the posts, the
posts they reply to or quote, and the viewer's relation to each author and like/repost/bookmark of each post), plus
one when the page holds reposts (are they still there, and the viewer's relation to the reposters).

Paging:
- ``chronological`` is a keyset over (time, member) of the timeline, so new posts never shift a page. A post can
  sit in a timeline more than once (posted, and reposted by someone followed): the post ids a feed session served
  are kept in ``feed:served:{viewer}:{token}`` (TTL ``feed_snapshot_ttl_seconds``), so it is shown once.
- ``ranked`` and ``engagement`` are scored once, on the first page: the ordered members are stored in
  ``feed:snapshot:{viewer}:{token}`` and later pages read on from an offset. Scores drift while a person scrolls;
  a snapshot keeps pages from repeating or skipping posts. Every page is still re-checked against blocks, mutes,
  follows and deletions.
- Reloading the first page reuses the latest snapshot (``feed:rankings:{viewer}``, see ``salon.feed.timeline``)
  while it is younger than ``feed_ranking_reuse_seconds`` and nothing reached the timeline since; ranking 400
  candidates is most of a first page's cost, and a reload a few seconds later would get the same order.
  Feedback drops the pointer, so "show less" takes effect on the next load.

The cursor carries ``(algorithm, token, position, member)``: position is the time in ms (chronological) or the
offset into the snapshot.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from salon.feed import affinity, ranking, timeline
from salon.feed.candidates import Candidate, resolve
from salon.feed.schemas import ALGORITHMS, DEFAULT_ALGORITHM, Algorithm, FeedItem, FeedPage
from salon.feed.tables import FeedPreference
from salon.feed.timeline import Entry, epoch_ms
from salon.lib import valkey
from salon.lib.errors import AppError
from salon.lib.pagination import BadCursor, decode_cursor, encode_cursor
from salon.posts.hydrate import hydrate
from salon.posts.schemas import PostView
from salon.settings import Settings

SCORED: tuple[Algorithm, ...] = ("engagement", "ranked")
# The post rows a feed request has read for its viewer while resolving (``load_posts`` shape, the posts they reference
# and deleted ones included), so ``hydrate`` reads nothing again for the page.
Loaded = dict[uuid.UUID, dict[str, Any]]
MAX_ROUNDS = 4  # batches of entries read to fill one page when many are filtered out


class CursorExpired(AppError):
    status_code = 410
    title = "Cursor expired"


class FeedPosition:
    """A decoded home-feed cursor."""

    def __init__(self, algorithm: Algorithm, token: str, position: int, member: str) -> None:
        self.algorithm, self.token, self.position, self.member = algorithm, token, position, member

    @classmethod
    def decode(cls, cursor: str | None) -> FeedPosition | None:
        parts = decode_cursor(cursor, str, str, int, str)
        if parts is None:
            return None
        algorithm, token, position, member = parts
        if algorithm not in ALGORITHMS or not token.isascii() or position < 0:
            raise BadCursor(
                "This cursor is not valid. Use the next_cursor value from a previous page exactly as returned."
            )
        return cls(cast(Algorithm, algorithm), token, position, member)

    def encode(self) -> str:
        return encode_cursor(self.algorithm, self.token, self.position, self.member)


# The remembered choice --------------------------------------------------------------------------------------------
# Postgres (``feed_preferences``) keeps it; ``feed:algorithm:{viewer}`` caches it, so a feed read needs no query for it
# and a read that names the algorithm it already had writes nothing.

PREFERENCE_CACHE_SECONDS = 24 * 3600


def preference_key(viewer_id: uuid.UUID) -> str:
    return f"feed:algorithm:{viewer_id}"


async def remembered_algorithm(viewer_id: uuid.UUID) -> Algorithm:
    rows = await FeedPreference.raw('SELECT algorithm FROM feed_preferences WHERE "user" = {}', viewer_id)
    algorithm = cast(Algorithm, rows[0]["algorithm"]) if rows else DEFAULT_ALGORITHM
    await valkey.client().set(preference_key(viewer_id), algorithm, ex=PREFERENCE_CACHE_SECONDS)
    return algorithm


async def remember_algorithm(viewer_id: uuid.UUID, algorithm: Algorithm) -> None:
    await FeedPreference.raw(
        """
        INSERT INTO feed_preferences (id, "user", algorithm, updated_at) VALUES (gen_random_uuid(), {}, {}, now())
        ON CONFLICT ("user") DO UPDATE SET algorithm = EXCLUDED.algorithm, updated_at = now()
        WHERE feed_preferences.algorithm IS DISTINCT FROM EXCLUDED.algorithm
        """,
        viewer_id,
        algorithm,
    )
    await valkey.client().set(preference_key(viewer_id), algorithm, ex=PREFERENCE_CACHE_SECONDS)


async def _choose(
    viewer_id: uuid.UUID, requested: Algorithm | None, position: FeedPosition | None, cached: Algorithm | None
) -> Algorithm:
    if position is not None:
        if requested is not None and requested != position.algorithm:
            raise BadCursor(
                f"This cursor belongs to the {position.algorithm} feed; drop the cursor to start the {requested} feed.",
                extra={"cursor_algorithm": position.algorithm},
            )
        return position.algorithm
    if requested is not None:
        if requested != cached:
            await remember_algorithm(viewer_id, requested)
        return requested
    return cached or await remembered_algorithm(viewer_id)


class Opening:
    """What one Valkey round trip at the start of a feed read tells: the cached algorithm choice, whether the
    timeline exists (its life is extended in the same step), the latest ranking pointers and the timeline's change
    count (see ``salon.feed.timeline``)."""

    def __init__(self, cached: str | None, alive: bool, pointers: dict[str, str | None], changes: int) -> None:
        self.cached = cast(Algorithm, cached) if cached in ALGORITHMS else None
        self.alive, self.pointers, self.changes = alive, pointers, changes


async def _open(viewer_id: uuid.UUID, settings: Settings) -> Opening:
    """The viewer's preference, whether their timeline is built, and their rankings hash, which this creates if it is
    missing (``changes`` 0): fan-out counts changes only in a hash that exists (``salon.feed.timeline``), so it must
    exist before the timeline is read for a ranking, or a post arriving during the ranking would not invalidate it."""
    rankings = timeline.rankings_key(viewer_id)
    async with valkey.client().pipeline(transaction=False) as pipe:
        pipe.get(preference_key(viewer_id))
        pipe.expire(timeline.timeline_key(viewer_id), settings.feed_timeline_ttl_seconds)
        pipe.hincrby(rankings, "changes", 0)
        pipe.expire(rankings, timeline.rankings_ttl(settings))
        pipe.hmget(rankings, SCORED)
        cached, alive, changes, _, pointers = await pipe.execute()
    return Opening(cached, bool(alive), dict(zip(SCORED, pointers, strict=True)), int(changes))


# The feed ---------------------------------------------------------------------------------------------------------


async def home_feed(
    viewer_id: uuid.UUID, requested: Algorithm | None, cursor: str | None, limit: int, settings: Settings
) -> FeedPage:
    position = FeedPosition.decode(cursor)
    opening = await _open(viewer_id, settings)
    algorithm = await _choose(viewer_id, requested, position, opening.cached)
    if not opening.alive:
        opening.changes = await timeline.rebuild(viewer_id, settings)
        opening.pointers = {}
    loaded: Loaded = {}
    if algorithm == "chronological":
        picked, next_position = await _chronological(viewer_id, position, limit, loaded, settings)
    else:
        picked, next_position = await _scored(viewer_id, algorithm, position, limit, opening, loaded, settings)
    items = await _present(viewer_id, picked, loaded)
    return FeedPage(items=items, next_cursor=next_position.encode() if next_position else None, algorithm=algorithm)


async def _present(viewer_id: uuid.UUID, picked: Sequence[Candidate], loaded: Loaded) -> list[FeedItem]:
    views = await hydrate([candidate.post_id for candidate in picked], viewer_id, loaded=loaded)
    return [
        FeedItem(post=view, reason=candidate.reason, reposted_by=candidate.reposted_by)
        for candidate, view in zip(picked, views, strict=True)
        if isinstance(view, PostView)  # deleted or hidden since it was resolved: a rare short page
    ]


# A batch reader gives entries after a position, each with the position to resume after it, and whether the
# source ran out.
Batch = tuple[list[tuple[Candidate | None, tuple[int, str]]], bool]
BatchReader = Callable[[tuple[int, str] | None, int], Awaitable[Batch]]


async def _fill(
    read: BatchReader, start: tuple[int, str] | None, limit: int
) -> tuple[list[Candidate], tuple[int, str] | None]:
    """Read batches until ``limit`` candidates are picked (one per post) or the source runs out. Returns them and
    the position after the last entry consumed (None when nothing is left)."""
    picked: list[Candidate] = []
    posts: set[uuid.UUID] = set()
    position = start
    for _ in range(MAX_ROUNDS):
        # Most entries pass (a timeline holds what the viewer should see): a small margin, not a second page.
        batch, exhausted = await read(position, limit + max(limit // 4, 5))
        for index, (candidate, after) in enumerate(batch):
            position = after
            if candidate is not None and candidate.post_id not in posts:
                picked.append(candidate)
                posts.add(candidate.post_id)
            if len(picked) == limit:
                return picked, None if exhausted and index == len(batch) - 1 else position
        if exhausted:
            return picked, None
    return picked, position


# Chronological ----------------------------------------------------------------------------------------------------


def _served_key(viewer_id: uuid.UUID, token: str) -> str:
    return f"feed:served:{viewer_id}:{token}"


async def _chronological_entries(
    viewer_id: uuid.UUID, before: tuple[int, str] | None, count: int, settings: Settings
) -> tuple[list[Entry], bool]:
    """The next ``count`` entries of the timeline merged with followed authors above the fan-out threshold."""
    stored = await timeline.read(viewer_id, before, count)
    merged = await timeline.celebrity_entries(viewer_id, before, count, settings)
    entries = sorted({entry.member: entry for entry in stored + merged}.values(), key=lambda e: e.key, reverse=True)
    exhausted = len(stored) < count and len(merged) < count and len(entries) <= count
    return entries[:count], exhausted


async def _chronological(
    viewer_id: uuid.UUID, position: FeedPosition | None, limit: int, loaded: Loaded, settings: Settings
) -> tuple[list[Candidate], FeedPosition | None]:
    token = position.token if position else secrets.token_urlsafe(9)
    served_key = _served_key(viewer_id, token)
    client: Any = valkey.client()

    async def read(before: tuple[int, str] | None, count: int) -> Batch:
        entries, exhausted = await _chronological_entries(viewer_id, before, count, settings)
        candidates = await resolve(viewer_id, entries, loaded)
        # A new feed session (the first page) has served nothing yet: its set is written after this page is picked.
        served = await _members(client, served_key, [entry.post_id.hex for entry in entries]) if position else set()
        batch = [
            (None if entry.post_id.hex in served else candidates.get(entry.member), entry.key) for entry in entries
        ]
        return batch, exhausted

    start = (position.position, position.member) if position else None
    picked, after = await _fill(read, start, limit)
    if picked:
        async with client.pipeline(transaction=False) as pipe:
            pipe.sadd(served_key, *(candidate.post_id.hex for candidate in picked))
            pipe.expire(served_key, settings.feed_snapshot_ttl_seconds)
            await pipe.execute()
    return picked, FeedPosition("chronological", token, after[0], after[1]) if after else None


async def _members(client: Any, key: str, values: list[str]) -> set[str]:
    if not values:
        return set()
    flags = await client.smismember(key, values)
    return {value for value, flag in zip(values, flags, strict=True) if flag}


# Ranked and engagement --------------------------------------------------------------------------------------------


def _snapshot_key(viewer_id: uuid.UUID, token: str) -> str:
    return f"feed:snapshot:{viewer_id}:{token}"


async def _scored(
    viewer_id: uuid.UUID,
    algorithm: Algorithm,
    position: FeedPosition | None,
    limit: int,
    opening: Opening,
    loaded: Loaded,
    settings: Settings,
) -> tuple[list[Candidate], FeedPosition | None]:
    if position is None:
        reusable = _reusable_ranking(opening.pointers.get(algorithm), opening.changes, settings)
        if reusable is not None:
            page = await _snapshot_page(viewer_id, FeedPosition(algorithm, reusable, 0, ""), limit, loaded)
            if page is not None:
                return page
        # No ranking to reuse (or its snapshot expired): rank now and store the snapshot.
        token = secrets.token_urlsafe(9)
        ordered = await _rank(viewer_id, algorithm, settings)
        await _store_snapshot(viewer_id, algorithm, token, opening.changes, ordered, settings)
        return list(ordered[:limit]), FeedPosition(algorithm, token, limit, "") if len(ordered) > limit else None
    page = await _snapshot_page(viewer_id, position, limit, loaded)
    if page is None:
        raise CursorExpired(
            "This feed is too old to page further. Load the feed again from the first page (without a cursor).",
            extra={"code": "cursor_expired"},
        )
    return page


async def _snapshot_page(
    viewer_id: uuid.UUID, position: FeedPosition, limit: int, loaded: Loaded
) -> tuple[list[Candidate], FeedPosition | None] | None:
    """The page of snapshot ``position.token`` from ``position.position`` on, or None when the snapshot is gone
    (snapshots are never stored empty, so an empty first read means expired: checked only then)."""
    client: Any = valkey.client()
    key = _snapshot_key(viewer_id, position.token)
    nothing_at_start = False

    async def read(after: tuple[int, str] | None, count: int) -> Batch:
        nonlocal nothing_at_start
        offset = after[0] if after else 0
        members = await client.lrange(key, offset, offset + count - 1)
        if not members and offset == position.position:
            nothing_at_start = True
        entries = [Entry.parse(member, score) for member, score in (_split(m) for m in members)]
        candidates = await resolve(viewer_id, entries, loaded)
        batch = [(candidates.get(entry.member), (offset + i + 1, "")) for i, entry in enumerate(entries)]
        return batch, len(members) < count

    picked, after = await _fill(read, (position.position, ""), limit)
    if nothing_at_start and not await client.exists(key):
        return None
    return picked, FeedPosition(position.algorithm, position.token, after[0], "") if after else None


def _split(stored: str) -> tuple[str, float]:
    """Snapshot members are ``"<entry member>@<at_ms>"``."""
    member, _, at_ms = stored.rpartition("@")
    return member, float(at_ms)


def _reusable_ranking(pointer: str | None, changes: int, settings: Settings) -> str | None:
    """The token of the viewer's latest snapshot if a reload may reuse it: made less than
    ``feed_ranking_reuse_seconds`` ago from the timeline as it still is (``changes`` has not moved since)."""
    if pointer is None or settings.feed_ranking_reuse_seconds <= 0:
        return None
    token, made_ms, made_from = pointer.split("@")
    fresh = epoch_ms(datetime.now(UTC)) - int(made_ms) < settings.feed_ranking_reuse_seconds * 1000
    return token if fresh and int(made_from) == changes else None


async def _store_snapshot(
    viewer_id: uuid.UUID,
    algorithm: Algorithm,
    token: str,
    changes: int,
    ordered: Sequence[Candidate],
    settings: Settings,
) -> None:
    """Store the ordering as the snapshot ``token`` and as the latest one, ranked from the timeline's ``changes``."""
    if not ordered:
        return
    key = _snapshot_key(viewer_id, token)
    async with valkey.client().pipeline(transaction=True) as pipe:
        pipe.rpush(key, *(f"{c.entry.member}@{c.entry.at_ms}" for c in ordered))
        pipe.expire(key, settings.feed_snapshot_ttl_seconds)
        rankings = timeline.rankings_key(viewer_id)
        pipe.hset(rankings, algorithm, f"{token}@{epoch_ms(datetime.now(UTC))}@{changes}")
        pipe.expire(rankings, timeline.rankings_ttl(settings))
        await pipe.execute()


async def _rank(viewer_id: uuid.UUID, algorithm: Algorithm, settings: Settings) -> list[Candidate]:
    """Every candidate of the viewer (one per post: its newest entry), in ``algorithm`` order. The caller has made
    sure the timeline exists (``_open``)."""
    entries, _ = await _chronological_entries(viewer_id, None, settings.feed_candidates, settings)
    resolved = await resolve(viewer_id, entries)
    candidates: dict[uuid.UUID, Candidate] = {}
    for entry in entries:  # newest first: a post's newest entry (e.g. a fresh repost) wins
        candidate = resolved.get(entry.member)
        if candidate is not None:
            candidates.setdefault(candidate.post_id, candidate)
    now = datetime.now(UTC)
    pool = list(candidates.values())
    if algorithm == "engagement":
        since = now - timedelta(hours=settings.feed_engagement_window_hours)
        recent = [candidate for candidate in pool if candidate.created_at >= since]
        ordered = sorted(recent, key=lambda candidate: ranking.engagement_score(candidate, settings), reverse=True)
        return ordered
    return await _ranked_order(viewer_id, pool, now, settings)


async def _ranked_order(
    viewer_id: uuid.UUID, pool: list[Candidate], now: datetime, settings: Settings
) -> list[Candidate]:
    affinities = await affinity.affinities(viewer_id, list({candidate.author_id for candidate in pool}))
    seen = await affinity.seen(viewer_id, [candidate.post_id for candidate in pool])
    scores = {
        candidate.post_id: ranking.ranked_score(
            candidate,
            is_reply=candidate.is_reply,
            affinity=affinities.get(candidate.author_id, 0.0),
            seen=candidate.post_id in seen,
            now=now,
            settings=settings,
        )
        for candidate in pool
    }
    return ranking.diversify(
        pool, score=lambda candidate: scores[candidate.post_id], author=lambda c: c.author_id, settings=settings
    )
