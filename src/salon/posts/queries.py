"""Lists of posts and of the people around a post. All keyset-paginated on UUIDv7 ids, all filtered by visibility in
SQL before paging (so a page is never short because of hidden posts), all hydrated by ``hydrate``.

Newest-first lists page with ``id < cursor``; thread lists (replies, descendants) read oldest-first with
``id > cursor``. Posts inserted while a client pages have larger ids, so they never shift a page: no duplicates, no
skips.
"""

# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.

from __future__ import annotations

import uuid
from typing import Any, Literal

import msgspec

from salon.lib.pagination import Page, decode_cursor, split_page
from salon.posts.hydrate import hydrate, visible_views
from salon.posts.schemas import Engagement, PostView, ThreadContext, Tombstone, UserStats
from salon.posts.services import get_post, visible_post_row
from salon.posts.tables import Post
from salon.social.services import (
    ME,
    VIEWER_CTE,
    find_visible_user,
    not_blocked_sql,
    relations,
    visible_levels,
    visible_post_sql,
)
from salon.social.visibility import NO_RELATION, USER_COLUMNS, summary

MAX_THREAD_DEPTH = 200  # ancestors shown / reply levels followed; deeper chains are cut, not an error

ENGAGEMENT_USER_COLUMN = {"likes": "liker", "reposts": "reposter"}
PREFIXED_USER_COLUMNS = ", ".join(f"u.{column}" for column in USER_COLUMNS.split(", "))


async def _sql(query: str, *args: Any) -> list[dict[str, Any]]:
    return await Post.raw(query, *args)  # type: ignore[no-any-return]


def _keyset(cursor: str | None, newest_first: bool = True, column: str = "p.id") -> tuple[str, list[Any]]:
    """The ``AND id < / > cursor`` clause and its argument for a cursor made from an id."""
    after = decode_cursor(cursor, uuid.UUID)
    if after is None:
        return "", []
    return f"AND {column} {'<' if newest_first else '>'} {{}}", [after[0]]


async def _post_page(
    sql: str, args: list[Any], viewer_id: uuid.UUID | None, limit: int, key: str = "id"
) -> Page[PostView]:
    """Run a query returning ``limit + 1`` rows with a post ``id`` (and a cursor column ``key``), then hydrate."""
    rows = await _sql(sql, *args, limit + 1)
    kept, next_cursor = split_page(rows, limit, lambda row: (str(row[key]),))
    views = await hydrate([row["id"] for row in kept], viewer_id)
    return Page(items=visible_views(views), next_cursor=next_cursor)


async def user_posts(
    username: str, viewer_id: uuid.UUID | None, include_replies: bool, cursor: str | None, limit: int
) -> Page[PostView]:
    """@username's posts the viewer may see, newest first (replies only with ``include_replies``)."""
    author = await find_visible_user(username, viewer_id)
    relation = (await relations(viewer_id, [author["id"]])).get(author["id"], NO_RELATION)
    levels = visible_levels(viewer_id, author["id"], relation)
    keyset, cursor_args = _keyset(cursor)
    replies = "" if include_replies else "AND p.reply_to_id IS NULL"
    sql = f"""
        SELECT p.id FROM posts p
        WHERE p.author = {{}} AND p.deleted_at IS NULL AND p.visibility = ANY({{}}::text[]) {replies} {keyset}
        ORDER BY p.id DESC LIMIT {{}}
    """
    return await _post_page(sql, [author["id"], levels, *cursor_args], viewer_id, limit)


async def replies(post_id: str, viewer_id: uuid.UUID | None, cursor: str | None, limit: int) -> Page[PostView]:
    """Direct replies to a post the viewer can see, oldest first, leaving out replies hidden from the viewer."""
    parent = await visible_post_row(post_id, viewer_id)
    keyset, cursor_args = _keyset(cursor, newest_first=False)
    sql = f"""
        WITH {VIEWER_CTE}
        SELECT p.id FROM posts p
        WHERE p.reply_to_id = {{}} AND p.deleted_at IS NULL AND {visible_post_sql()} {keyset}
        ORDER BY p.id LIMIT {{}}
    """
    return await _post_page(sql, [viewer_id, parent["id"], *cursor_args], viewer_id, limit)


async def quotes(post_id: str, viewer_id: uuid.UUID | None, cursor: str | None, limit: int) -> Page[PostView]:
    """Posts quoting a post the viewer can see, newest first."""
    quoted = await visible_post_row(post_id, viewer_id)
    keyset, cursor_args = _keyset(cursor)
    sql = f"""
        WITH {VIEWER_CTE}
        SELECT p.id FROM posts p
        WHERE p.quote_of_id = {{}} AND p.deleted_at IS NULL AND {visible_post_sql()} {keyset}
        ORDER BY p.id DESC LIMIT {{}}
    """
    return await _post_page(sql, [viewer_id, quoted["id"], *cursor_args], viewer_id, limit)


async def bookmarks(viewer_id: uuid.UUID, cursor: str | None, limit: int) -> Page[PostView]:
    """The viewer's bookmarked posts that still exist and are visible to them, most recently bookmarked first."""
    keyset, cursor_args = _keyset(cursor, column="b.id")
    sql = f"""
        WITH {VIEWER_CTE}
        SELECT p.id, b.id AS bookmark_id FROM bookmarks b JOIN posts p ON p.id = b.post
        WHERE b.owner = {ME} AND p.deleted_at IS NULL AND {visible_post_sql()} {keyset}
        ORDER BY b.id DESC LIMIT {{}}
    """
    return await _post_page(sql, [viewer_id, *cursor_args], viewer_id, limit, key="bookmark_id")


async def context(post_id: str, viewer_id: uuid.UUID | None, cursor: str | None, limit: int) -> ThreadContext:
    """The post, its ancestors (root first) and a page of its descendants (any depth, oldest first)."""
    post = await get_post(post_id, viewer_id)
    target = uuid.UUID(post.id)
    chain = await _sql(
        """
        WITH RECURSIVE chain(id, reply_to_id, depth) AS (
          SELECT id, reply_to_id, 0 FROM posts WHERE id = {}
          UNION ALL
          SELECT p.id, p.reply_to_id, chain.depth + 1 FROM posts p JOIN chain ON p.id = chain.reply_to_id
          WHERE chain.depth < {}
        )
        SELECT id FROM chain WHERE depth > 0 ORDER BY depth DESC
        """,
        target, MAX_THREAD_DEPTH,
    )  # fmt: skip
    ancestors: list[PostView | Tombstone] = list(await hydrate([row["id"] for row in chain], viewer_id))
    keyset, cursor_args = _keyset(cursor, newest_first=False)
    sql = f"""
        WITH RECURSIVE {VIEWER_CTE},
        tree(id, depth) AS (
          SELECT id, 1 FROM posts WHERE reply_to_id = {{}}
          UNION ALL
          SELECT p.id, tree.depth + 1 FROM posts p JOIN tree ON p.reply_to_id = tree.id WHERE tree.depth < {{}}
        )
        SELECT p.id FROM tree JOIN posts p ON p.id = tree.id
        WHERE p.deleted_at IS NULL AND {visible_post_sql()} {keyset}
        ORDER BY p.id LIMIT {{}}
    """
    page = await _post_page(sql, [viewer_id, target, MAX_THREAD_DEPTH, *cursor_args], viewer_id, limit)
    return ThreadContext(ancestors=ancestors, post=post, descendants=page.items, next_cursor=page.next_cursor)


async def engagements(
    table: Literal["likes", "reposts"], post_id: str, viewer_id: uuid.UUID | None, cursor: str | None, limit: int
) -> Page[Engagement]:
    """Who liked or reposted a post the viewer can see, newest first, leaving out people the viewer has a block
    with."""
    user_column = ENGAGEMENT_USER_COLUMN[table]
    post = await visible_post_row(post_id, viewer_id)
    keyset, cursor_args = _keyset(cursor, column="e.id")
    rows = await _sql(
        f"""
        WITH {VIEWER_CTE}
        SELECT e.id AS engagement_id, e.created_at AS engaged_at, {PREFIXED_USER_COLUMNS}
        FROM {table} e JOIN users u ON u.id = e.{user_column}
        WHERE e.post = {{}} AND u.is_active AND {not_blocked_sql("u.id")} {keyset}
        ORDER BY e.id DESC LIMIT {{}}
        """,
        viewer_id, post["id"], *cursor_args, limit + 1,
    )  # fmt: skip
    kept, next_cursor = split_page(rows, limit, lambda row: (str(row["engagement_id"]),))
    items = [Engagement(user=summary(row), created_at=row["engaged_at"]) for row in kept]
    return Page(items=items, next_cursor=next_cursor)


async def stats(user_id: uuid.UUID) -> UserStats:
    """The signed-in user's numbers, in one query."""
    rows = await _sql(
        """
        SELECT u.posts_count, u.followers_count, u.following_count,
          (SELECT count(*) FROM friendships WHERE owner = u.id) AS friends_count,
          COALESCE(received.likes, 0) AS likes_received, COALESCE(received.reposts, 0) AS reposts_received,
          COALESCE(received.replies, 0) AS replies_received, COALESCE(received.quotes, 0) AS quotes_received,
          (SELECT count(*) FROM bookmarks WHERE owner = u.id) AS bookmarks_count
        FROM users u
        LEFT JOIN LATERAL (
          SELECT sum(like_count) AS likes, sum(repost_count) AS reposts, sum(reply_count) AS replies,
                 sum(quote_count) AS quotes
          FROM posts WHERE author = u.id AND deleted_at IS NULL
        ) received ON TRUE
        WHERE u.id = {}
        """,
        user_id,
    )
    from salon.goals.stats import goal_stats  # goals is a later domain package: imported where it is used

    goals = msgspec.structs.asdict(await goal_stats(user_id))
    return UserStats(**{field: int(value) for field, value in rows[0].items()}, **goals)
