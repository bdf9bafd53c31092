"""Per-viewer signals for ranking, in Valkey.

- ``affinity:{viewer}``: a hash of author id -> how much the viewer engages with that author (likes, replies,
  reposts and quotes of their posts, profile visits, "show more"/"show less" feedback). Each signal counts once:
  a retried event or a repeated click does not add again (``feed:signal:...`` keys remember what was counted).
- ``feed:seen:{viewer}``: posts the viewer reported as seen (feedback ``seen`` and ``show_less``); the ranked feed
  down-weights them.

Both expire ``feed_affinity_ttl_days`` after the last signal: affinity describes recent taste, and losing it (a
Valkey restart) only makes the feed less personal for a while.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from salon.lib import valkey
from salon.settings import Settings

SEEN_TTL_SECONDS = 7 * 24 * 3600


def affinity_key(viewer_id: uuid.UUID | str) -> str:
    return f"affinity:{viewer_id}"


def seen_key(viewer_id: uuid.UUID | str) -> str:
    return f"feed:seen:{viewer_id}"


# KEYS[1] the affinity hash, KEYS[2] the once-key of this signal; ARGV author, amount, ttl seconds.
_ADD_ONCE = """
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then return 0 end
redis.call('HINCRBYFLOAT', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


async def add(viewer_id: str, author_id: str, amount: float, signal: str, settings: Settings) -> bool:
    """Add ``amount`` to the viewer's affinity with ``author_id`` unless ``signal`` (a unique name for what happened,
    e.g. ``like:<post>``) was counted before. A viewer has no affinity with themselves. Returns whether it counted."""
    if viewer_id == author_id or amount == 0:
        return False
    ttl = settings.feed_affinity_ttl_days * 24 * 3600
    once_key = f"feed:signal:{viewer_id}:{signal}"
    added = await valkey.script(_ADD_ONCE)(keys=[affinity_key(viewer_id), once_key], args=[author_id, amount, ttl])
    return bool(added)


async def record_profile_visit(viewer_id: str, author_id: str, settings: Settings, day: str) -> bool:
    """A visit to ``author_id``'s profile counts once per viewer, author and ``day`` (YYYY-MM-DD)."""
    return await add(viewer_id, author_id, settings.feed_affinity_profile_visit, f"visit:{author_id}:{day}", settings)


async def affinities(viewer_id: uuid.UUID, author_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, float]:
    if not author_ids:
        return {}
    client: Any = valkey.client()
    values = await client.hmget(affinity_key(viewer_id), [str(author) for author in author_ids])
    return {author: float(value) for author, value in zip(author_ids, values, strict=True) if value is not None}


async def mark_seen(viewer_id: uuid.UUID, post_id: uuid.UUID) -> None:
    async with valkey.client().pipeline(transaction=False) as pipe:
        pipe.sadd(seen_key(viewer_id), post_id.hex)
        pipe.expire(seen_key(viewer_id), SEEN_TTL_SECONDS)
        await pipe.execute()


async def seen(viewer_id: uuid.UUID, post_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    if not post_ids:
        return set()
    client: Any = valkey.client()
    flags = await client.smismember(seen_key(viewer_id), [post_id.hex for post_id in post_ids])
    return {post_id for post_id, flag in zip(post_ids, flags, strict=True) if flag}
