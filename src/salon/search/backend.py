"""Search behind one seam: ``SearchBackend``. Today's implementation is Postgres; an external engine (Meilisearch,
OpenSearch ...) would implement the same protocol, be chosen by ``SALON_SEARCH_BACKEND``, and be fed by subscribers of
``post.created`` / ``post.updated`` / ``post.deleted`` in ``salon.search.jobs``. Whatever the engine, results must
pass through visibility (``visible_post_sql`` or ``hydrate``) before they reach a viewer: an index is never trusted
to know who may see what.

Postgres search:
- posts: ``posts.search_vector`` (generated: English stems weighted above exact 'simple' tokens, so words of other
  languages still match) with a GIN index; ``websearch_to_tsquery`` syntax ("quoted phrases", ``-word``, ``or``);
  ranked by ``ts_rank_cd`` multiplied by a recency decay (half-life ``SEARCH_RECENCY_HALF_LIFE_DAYS``), over the
  newest ``SEARCH_CANDIDATES`` matches the viewer may see (a common word matches a large share of all posts; ranking
  every match would cost time linear in the table).
- users: trigram similarity (pg_trgm GIN indexes) on the username and the display name, so part of a name or a
  typo finds them.
- hashtags: prefix match over ``hashtag_counts`` (a ``COLLATE "C"`` primary key, so a prefix is an index range),
  which triggers keep at the number of live public posts using each tag (migration
  ``posts_2026_11_22t06_15_00_000000``); counting at query time cost 142 ms for a popular prefix at 200,000 posts.

Ranked results page by keyset on ``(score, id)``; post scores are computed against the time the search started
(carried in the cursor), so a score is the same on every page and pages never repeat or skip.
"""

# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from salon.lib.db import unit_of_work
from salon.lib.pagination import Page, decode_cursor, encode_cursor
from salon.posts.hydrate import hydrate, visible_views
from salon.posts.schemas import PostView
from salon.posts.tables import Post
from salon.search.schemas import HashtagResult, UserResult
from salon.settings import Settings
from salon.social.visibility import VIEWER_CTE, not_blocked_sql, visible_post_sql

SEARCH_RECENCY_HALF_LIFE_DAYS = 30.0
SEARCH_CANDIDATES = 1000  # the newest matches a post search ranks (relevance x recency)
TSQUERY = "websearch_to_tsquery('english', {}) || websearch_to_tsquery('simple', {})"
MAX_CODE_POINT = chr(0x10FFFF)


class SearchBackend(Protocol):
    """What ``GET /api/v1/search`` needs from a search engine. ``query`` is trimmed and non-empty; results are
    only what ``viewer_id`` (None: signed out) may see."""

    async def posts(
        self, query: str, viewer_id: uuid.UUID | None, cursor: str | None, limit: int
    ) -> Page[PostView]: ...

    async def users(
        self, query: str, viewer_id: uuid.UUID | None, cursor: str | None, limit: int
    ) -> Page[UserResult]: ...

    async def hashtags(self, prefix: str, cursor: str | None, limit: int) -> Page[HashtagResult]: ...


async def _sql(query: str, *args: Any) -> list[dict[str, Any]]:
    return await Post.raw(query, *args)


def _like_pattern(text: str) -> str:
    """``%text%`` for LIKE, with LIKE's own wildcards in ``text`` escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class PostgresSearch:
    async def posts(self, query: str, viewer_id: uuid.UUID | None, cursor: str | None, limit: int) -> Page[PostView]:
        position = decode_cursor(cursor, datetime, float, uuid.UUID)
        started = position[0] if position else datetime.now(UTC)
        keyset = "WHERE (score, id) < ({}::float8, {}::uuid)" if position else ""
        async with unit_of_work():
            # The tsquery is inline (not a CTE) and every execution is planned with its own value: Postgres then
            # knows how common the words are. A common word walks posts newest first and stops at the candidate
            # cap (~10 ms at 200,000 posts); a rare one uses the GIN index. The generic plan a prepared statement
            # falls back to after five runs does the GIN scan for every word (170-400 ms for a common one).
            await _sql("SET LOCAL plan_cache_mode = force_custom_plan")
            rows = await _sql(
                f"""
                WITH {VIEWER_CTE},
                hits AS (
                  SELECT p.id, p.search_vector, p.created_at FROM posts p JOIN users u ON u.id = p.author
                  WHERE p.search_vector @@ ({TSQUERY}) AND p.deleted_at IS NULL AND p.created_at <= {{}}
                    AND u.is_active AND {visible_post_sql()}
                  ORDER BY p.id DESC LIMIT {SEARCH_CANDIDATES}
                ),
                scored AS (
                  SELECT h.id, ts_rank_cd(h.search_vector, {TSQUERY})::float8
                    * power(0.5, extract(epoch FROM {{}}::timestamptz - h.created_at)::float8 / 86400.0 / {{}}) AS score
                  FROM hits h
                )
                SELECT id, score FROM scored {keyset} ORDER BY score DESC, id DESC LIMIT {{}}
                """,
                viewer_id, query, query, started, query, query, started, SEARCH_RECENCY_HALF_LIFE_DAYS,
                *(position[1:] if position else ()), limit + 1,
            )  # fmt: skip
        kept = rows[:limit]
        next_cursor = encode_cursor(started, kept[-1]["score"], str(kept[-1]["id"])) if len(rows) > limit else None
        views = await hydrate([row["id"] for row in kept], viewer_id)
        return Page(items=visible_views(views), next_cursor=next_cursor)

    async def users(self, query: str, viewer_id: uuid.UUID | None, cursor: str | None, limit: int) -> Page[UserResult]:
        position = decode_cursor(cursor, float, uuid.UUID)
        text = query.removeprefix("@").lower()
        keyset = "WHERE (score, id) < ({}::float8, {}::uuid)" if position else ""
        rows = await _sql(
            f"""
            WITH {VIEWER_CTE},
            hits AS (
              SELECT u.id, u.username, u.display_name, u.avatar_media_id,
                GREATEST(word_similarity({{}}, u.username_key), word_similarity({{}}, lower(u.display_name)),
                         similarity({{}}, u.username_key))::float8 AS score
              FROM users u
              WHERE u.is_active AND {not_blocked_sql("u.id")}
                AND (u.username_key LIKE {{}} OR lower(u.display_name) LIKE {{}}
                     OR {{}} <% u.username_key OR {{}} <% lower(u.display_name))
            )
            SELECT * FROM hits {keyset} ORDER BY score DESC, id DESC LIMIT {{}}
            """,
            viewer_id, text, text, text, _like_pattern(text), _like_pattern(text), text, text,
            *(position or ()), limit + 1,
        )  # fmt: skip
        kept = rows[:limit]
        next_cursor = encode_cursor(kept[-1]["score"], str(kept[-1]["id"])) if len(rows) > limit else None
        items = [
            UserResult(
                id=str(row["id"]),
                username=row["username"],
                display_name=row["display_name"],
                avatar_media_id=str(row["avatar_media_id"]) if row["avatar_media_id"] else None,
            )
            for row in kept
        ]
        return Page(items=items, next_cursor=next_cursor)

    async def hashtags(self, prefix: str, cursor: str | None, limit: int) -> Page[HashtagResult]:
        position = decode_cursor(cursor, str)
        start = prefix
        keyset = "AND tag > {}" if position else ""
        rows = await _sql(
            f"""
            SELECT tag, public_posts AS posts_count FROM hashtag_counts
            WHERE tag >= {{}} AND tag < {{}} {keyset} AND public_posts > 0
            ORDER BY tag LIMIT {{}}
            """,
            start, prefix + MAX_CODE_POINT, *(position or ()), limit + 1,
        )  # fmt: skip
        kept = rows[:limit]
        next_cursor = encode_cursor(kept[-1]["tag"]) if len(rows) > limit else None
        return Page(items=[HashtagResult(row["tag"], row["posts_count"]) for row in kept], next_cursor=next_cursor)


def backend(settings: Settings) -> SearchBackend:
    """The configured search backend (``SALON_SEARCH_BACKEND``; only ``postgres`` exists today)."""
    if settings.search_backend == "postgres":
        return PostgresSearch()
    raise RuntimeError(f"unknown search backend {settings.search_backend!r}")  # pragma: no cover - Literal-checked
