"""Trending hashtags: computed by a cron job (every minute) from recent public posts, served from Valkey.

A hashtag's score sums, over the distinct authors who used it within ``trending_window_hours``, a decay of their
latest use (``0.5 ** (age_hours / trending_half_life_hours)``): one author posting a tag a hundred times counts as
one voice, and yesterday's burst fades. A tag needs ``trending_min_authors`` distinct authors to trend at all.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from salon.feed.schemas import TrendingHashtag, TrendingHashtags
from salon.lib import valkey
from salon.posts.tables import Post
from salon.settings import Settings

TRENDS_KEY = "trends:hashtags"
TRENDS_TTL_SECONDS = 15 * 60  # a stale list is better than none if the cron stops; after this it is recomputed
_DECODE = msgspec.json.Decoder(TrendingHashtags)

_TRENDING_SQL = """
WITH uses AS (
  SELECT h.tag, p.author, max(p.created_at) AS last_used, count(*) AS posts
  FROM posts p
  JOIN post_hashtags h ON h.post = p.id
  JOIN users u ON u.id = p.author
  WHERE p.visibility = 'public' AND p.deleted_at IS NULL AND u.is_active
    AND p.created_at > now() - make_interval(hours => {})
  GROUP BY h.tag, p.author
)
SELECT tag, sum(posts)::int AS posts_count, count(*)::int AS authors_count,
  sum(power(0.5, extract(epoch FROM now() - last_used) / 3600.0 / {}))::float8 AS score
FROM uses GROUP BY tag HAVING count(*) >= {}
ORDER BY score DESC, tag LIMIT {}
"""


async def compute(settings: Settings) -> TrendingHashtags:
    rows = await Post.raw(
        _TRENDING_SQL,
        settings.trending_window_hours,
        settings.trending_half_life_hours,
        settings.trending_min_authors,
        settings.trending_max_tags,
    )
    items = [
        TrendingHashtag(row["tag"], round(row["score"], 6), row["posts_count"], row["authors_count"]) for row in rows
    ]
    return TrendingHashtags(items=items, computed_at=datetime.now(UTC).isoformat())


async def refresh(settings: Settings) -> TrendingHashtags:
    trends = await compute(settings)
    await valkey.client().set(TRENDS_KEY, msgspec.json.encode(trends), ex=TRENDS_TTL_SECONDS)
    return trends


async def current(limit: int, settings: Settings) -> TrendingHashtags:
    """The latest computed list (computed now when there is none, e.g. after a Valkey restart)."""
    stored = await valkey.client().get(TRENDS_KEY)
    trends = _DECODE.decode(stored) if stored else await refresh(settings)
    return TrendingHashtags(items=trends.items[:limit], computed_at=trends.computed_at)
