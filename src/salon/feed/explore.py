"""Explore (public posts of the last ``explore_window_hours`` by engagement velocity, author diversity applied) and
the posts of a hashtag. Both work for signed-out readers.

Explore is the same for everyone, so it is computed at most every ``explore_cache_seconds`` into a snapshot
(``explore:snapshot:{id}``, a Valkey list of post ids) that pages read by offset; each reader's blocks and mutes are
applied per page. A cursor names its snapshot, so paging never repeats or skips a post even when a newer snapshot
replaces it as the current one.
"""

# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from salon.feed import ranking
from salon.feed.home import MAX_ROUNDS, CursorExpired
from salon.lib import valkey
from salon.lib.pagination import Page, decode_cursor, encode_cursor, split_page
from salon.posts.hydrate import hydrate, visible_views
from salon.posts.schemas import PostView
from salon.posts.tables import Post
from salon.settings import Settings
from salon.social.services import ME, VIEWER_CTE, muted_user_ids, visible_post_sql

CURRENT_KEY = "explore:current"
SNAPSHOT_LIFETIME_FACTOR = 10  # a snapshot stays pageable this many refresh periods


class ExploreRow(msgspec.Struct, frozen=True):
    id: uuid.UUID
    author: uuid.UUID
    created_at: datetime
    likes: int
    reposts: int
    quotes: int
    replies: int


def _snapshot_key(snapshot_id: str) -> str:
    return f"explore:snapshot:{snapshot_id}"


async def _candidates(settings: Settings) -> list[ExploreRow]:
    rows = await Post.raw(
        """
        SELECT p.id, p.author, p.created_at, p.like_count AS likes, p.repost_count AS reposts,
               p.quote_count AS quotes, p.reply_count AS replies
        FROM posts p JOIN users u ON u.id = p.author
        WHERE p.visibility = 'public' AND p.deleted_at IS NULL AND p.reply_to_id IS NULL AND u.is_active
          AND p.created_at > now() - make_interval(hours => {})
        ORDER BY p.like_count + p.repost_count + p.quote_count + p.reply_count DESC, p.id DESC
        LIMIT {}
        """,
        settings.explore_window_hours,
        settings.explore_candidates,
    )
    return [msgspec.convert(row, ExploreRow) for row in rows]


async def build_snapshot(settings: Settings) -> str:
    """Rank the candidates, store them as a new snapshot and make it the current one. Returns its id."""
    now = datetime.now(UTC)
    rows = await _candidates(settings)
    scores = {row.id: ranking.velocity(row, now=now, settings=settings) for row in rows}
    ordered = ranking.diversify(
        rows, score=lambda row: scores[row.id], author=lambda row: row.author, settings=settings
    )
    snapshot_id = secrets.token_urlsafe(9)
    key = _snapshot_key(snapshot_id)
    async with valkey.client().pipeline(transaction=True) as pipe:
        if ordered:
            pipe.rpush(key, *(row.id.hex for row in ordered))
        else:
            pipe.rpush(key, "")  # an empty explore is still a snapshot (no rebuild on every read)
        pipe.expire(key, settings.explore_cache_seconds * SNAPSHOT_LIFETIME_FACTOR)
        pipe.set(CURRENT_KEY, snapshot_id, ex=settings.explore_cache_seconds)
        await pipe.execute()
    return snapshot_id


async def explore(viewer_id: uuid.UUID | None, cursor: str | None, limit: int, settings: Settings) -> Page[PostView]:
    position = decode_cursor(cursor, str, int)
    client: Any = valkey.client()
    if position is None:
        snapshot_id, offset = (await client.get(CURRENT_KEY)) or await build_snapshot(settings), 0
    else:
        snapshot_id, offset = position
        if offset < 0 or not await client.exists(_snapshot_key(snapshot_id)):
            raise CursorExpired(
                "This explore page is too old to page further. Load explore again from the first page.",
                extra={"code": "cursor_expired"},
            )
    muted = await muted_user_ids(viewer_id) if viewer_id else set()
    key = _snapshot_key(snapshot_id)
    items: list[PostView] = []
    count = max(limit * 2, 10)
    for _ in range(MAX_ROUNDS):
        members = await client.lrange(key, offset, offset + count - 1)
        views = {
            uuid.UUID(view.id): view
            for view in visible_views(await hydrate([uuid.UUID(member) for member in members if member], viewer_id))
        }
        for member in members:
            offset += 1
            view = views.get(uuid.UUID(member)) if member else None
            if view is not None and uuid.UUID(view.author.id) not in muted:
                items.append(view)
            if len(items) == limit:
                more = offset < await client.llen(key)
                return Page(items=items, next_cursor=encode_cursor(snapshot_id, offset) if more else None)
        if len(members) < count:
            return Page(items=items, next_cursor=None)
    return Page(items=items, next_cursor=encode_cursor(snapshot_id, offset))


def normalise_tag(tag: str) -> str:
    return tag.removeprefix("#").casefold()


async def hashtag_posts(tag: str, viewer_id: uuid.UUID | None, cursor: str | None, limit: int) -> Page[PostView]:
    """Live posts tagged ``tag`` that the viewer may see (mutes applied), newest first; keyset on the post id."""
    after = decode_cursor(cursor, uuid.UUID)
    keyset = "AND h.post < {}" if after else ""
    rows = await Post.raw(
        f"""
        WITH {VIEWER_CTE}
        SELECT p.id FROM post_hashtags h JOIN posts p ON p.id = h.post JOIN users u ON u.id = p.author
        WHERE h.tag = {{}} AND p.deleted_at IS NULL AND u.is_active AND {visible_post_sql()}
          AND NOT EXISTS (SELECT 1 FROM mutes WHERE muter = {ME} AND muted = p.author) {keyset}
        ORDER BY h.post DESC LIMIT {{}}
        """,
        viewer_id, normalise_tag(tag), *([after[0]] if after else []), limit + 1,
    )  # fmt: skip
    kept, next_cursor = split_page(rows, limit, lambda row: (str(row["id"]),))
    views = await hydrate([row["id"] for row in kept], viewer_id)
    return Page(items=visible_views(views), next_cursor=next_cursor)
