"""Likes, reposts and bookmarks. Each is idempotent: doing it twice changes nothing the second time.

``like_count``/``repost_count`` move in the same statement as the row insert/delete, counted only when a row really
was inserted (``ON CONFLICT DO NOTHING RETURNING``) or deleted, so 40 concurrent likes end at exactly 40 and an unlike
never drives a count below zero.
"""

# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.

from __future__ import annotations

import uuid
from typing import Any

from salon.lib import events
from salon.lib.db import unit_of_work
from salon.lib.errors import NotFound, ValidationFailed, clipped
from salon.lib.ids import new_id, parse_id
from salon.posts.events import PostLiked, PostReposted, PostUnliked, PostUnreposted
from salon.posts.schemas import BookmarkState, LikeState, RepostState
from salon.posts.services import visible_post_row
from salon.posts.tables import Post

# (table, user column, counter on posts)
LIKES = ("likes", "liker", "like_count")
REPOSTS = ("reposts", "reposter", "repost_count")


async def _sql(query: str, *args: Any) -> list[dict[str, Any]]:
    return await Post.raw(query, *args)  # type: ignore[no-any-return]


async def _add(kind: tuple[str, str, str], post_id: uuid.UUID, user_id: uuid.UUID) -> tuple[dict[str, Any] | None, int]:
    """Insert the row and bump the counter in one statement. Returns ``(inserted row or None, counter)``."""
    table, user_column, counter = kind
    rows = await _sql(
        f"""
        WITH added AS (
          INSERT INTO {table} (id, post, {user_column}, created_at) VALUES ({{}}, {{}}, {{}}, now())
          ON CONFLICT DO NOTHING RETURNING id, created_at
        ), bumped AS (
          UPDATE posts SET {counter} = {counter} + 1 WHERE id = {{}} AND EXISTS (SELECT 1 FROM added)
          RETURNING {counter}
        )
        SELECT (SELECT id FROM added) AS id, (SELECT created_at FROM added) AS created_at,
               COALESCE((SELECT {counter} FROM bumped), (SELECT {counter} FROM posts WHERE id = {{}})) AS count
        """,
        new_id(), post_id, user_id, post_id, post_id,
    )  # fmt: skip
    row = rows[0]
    return (row if row["id"] else None), int(row["count"])


async def _remove(kind: tuple[str, str, str], post_id: uuid.UUID, user_id: uuid.UUID) -> tuple[bool, int]:
    """Delete the row and decrement the counter (never below zero) in one statement. Returns ``(deleted, counter)``."""
    table, user_column, counter = kind
    rows = await _sql(
        f"""
        WITH gone AS (DELETE FROM {table} WHERE post = {{}} AND {user_column} = {{}} RETURNING id),
        lowered AS (
          UPDATE posts SET {counter} = GREATEST({counter} - 1, 0) WHERE id = {{}} AND EXISTS (SELECT 1 FROM gone)
          RETURNING {counter}
        )
        SELECT EXISTS (SELECT 1 FROM gone) AS deleted,
               COALESCE((SELECT {counter} FROM lowered), (SELECT {counter} FROM posts WHERE id = {{}})) AS count
        """,
        post_id, user_id, post_id, post_id,
    )  # fmt: skip
    return bool(rows[0]["deleted"]), int(rows[0]["count"] or 0)


async def _undo_target(post_id: str) -> uuid.UUID:
    """Undoing needs only an existing post: you can take back a like on a post that has since been hidden from you."""
    parsed = parse_id(post_id)
    if parsed is None or not await _sql("SELECT 1 FROM posts WHERE id = {}", parsed):
        raise NotFound(f"There is no post {clipped(post_id)!r} that you can see.")
    return parsed


async def like(viewer_id: uuid.UUID, post_id: str) -> LikeState:
    post = await visible_post_row(post_id, viewer_id)
    async with unit_of_work():
        added, count = await _add(LIKES, post["id"], viewer_id)
        if added:
            event = PostLiked(
                str(post["id"]), str(post["author"]), str(viewer_id), post["visibility"], added["created_at"]
            )
            await events.emit("post.liked", event)
    return LikeState(liked=True, like_count=count)


async def unlike(viewer_id: uuid.UUID, post_id: str) -> LikeState:
    target = await _undo_target(post_id)
    async with unit_of_work():
        deleted, count = await _remove(LIKES, target, viewer_id)
        if deleted:
            await events.emit("post.unliked", PostUnliked(str(target), await _author(target), str(viewer_id)))
    return LikeState(liked=False, like_count=count)


async def repost(viewer_id: uuid.UUID, post_id: str) -> RepostState:
    """Repost a public post (reposting a restricted post would show it beyond its audience)."""
    post = await visible_post_row(post_id, viewer_id)
    if post["visibility"] != "public":
        raise ValidationFailed("Only public posts can be reposted; quote it instead if you can see it.")
    async with unit_of_work():
        added, count = await _add(REPOSTS, post["id"], viewer_id)
        if added:
            event = PostReposted(
                str(added["id"]), str(post["id"]), str(post["author"]), str(viewer_id), post["visibility"],
                added["created_at"],
            )  # fmt: skip
            await events.emit("post.reposted", event)
    return RepostState(reposted=True, repost_count=count)


async def unrepost(viewer_id: uuid.UUID, post_id: str) -> RepostState:
    target = await _undo_target(post_id)
    async with unit_of_work():
        deleted, count = await _remove(REPOSTS, target, viewer_id)
        if deleted:
            await events.emit("post.unreposted", PostUnreposted(str(target), await _author(target), str(viewer_id)))
    return RepostState(reposted=False, repost_count=count)


async def _author(post_id: uuid.UUID) -> str:
    rows = await _sql("SELECT author FROM posts WHERE id = {}", post_id)
    return str(rows[0]["author"])


async def bookmark(viewer_id: uuid.UUID, post_id: str) -> BookmarkState:
    """Bookmarks are private to their owner: no counter, no event."""
    post = await visible_post_row(post_id, viewer_id)
    await _sql(
        "INSERT INTO bookmarks (id, post, owner, created_at) VALUES ({}, {}, {}, now()) ON CONFLICT DO NOTHING",
        new_id(), post["id"], viewer_id,
    )  # fmt: skip
    return BookmarkState(bookmarked=True)


async def unbookmark(viewer_id: uuid.UUID, post_id: str) -> BookmarkState:
    target = await _undo_target(post_id)
    await _sql("DELETE FROM bookmarks WHERE post = {} AND owner = {}", target, viewer_id)
    return BookmarkState(bookmarked=False)
