"""Home timelines: one Valkey sorted set per user, filled on write (fan-out) and rebuilt from Postgres when missing.

``timeline:{user_id}`` holds entries scored by their time in epoch milliseconds. A member is the post id in hex
(``"<post>"``) or, for a repost, ``"<post>:<reposter>"``, so a client can be told who reposted it. A sentinel member
with score ``-inf`` marks the set as built: an empty timeline still exists and is not rebuilt on every read, and
fan-out writes only into timelines that exist, so a partial timeline never passes for a complete one.

Timelines are caches. Who may see what is decided again on every read (``salon.feed.candidates``); a timeline only
says which posts are worth looking at.

``feed:rankings:{user_id}`` is a hash: ``changes``, a counter that whatever changes the timeline (fan-out, a follow's
backfill, a rebuild) increments in the same step, and per algorithm a pointer to the user's latest ranked/engagement
ordering (``salon.feed.home``) with the ``changes`` value it was computed from. A reload of the first page reuses
that ordering only while the counter has not moved, so it never misses a post that reached the timeline. A feed read
creates the hash (``changes`` 0) before it reads the timeline, and it expires ``rankings_ttl`` after the last read or
ranking; fan-out counts a change only in a hash that exists, since without one there is no ordering to invalidate.
Most of a popular author's followers have not read their feed in the last minutes: for them a post's fan-out writes
the timeline alone, four calls instead of five (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from salon.lib import valkey
from salon.posts.tables import Post
from salon.settings import Settings

SENTINEL = "!"


class Entry(msgspec.Struct, frozen=True):
    """A timeline entry: a post, reposted by ``reposter_id`` or not, at ``at_ms``."""

    post_id: uuid.UUID
    reposter_id: uuid.UUID | None
    at_ms: int

    @property
    def member(self) -> str:
        if self.reposter_id is None:
            return self.post_id.hex
        return f"{self.post_id.hex}:{self.reposter_id.hex}"

    @property
    def key(self) -> tuple[int, str]:
        """The position of the entry in newest-first order (Valkey orders equal scores by member)."""
        return (self.at_ms, self.member)

    @classmethod
    def parse(cls, member: str, score: float) -> Entry:
        post, _, reposter = member.partition(":")
        return cls(uuid.UUID(post), uuid.UUID(reposter) if reposter else None, int(score))


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def timeline_key(user_id: uuid.UUID | str) -> str:
    return f"timeline:{user_id}"


def rankings_key(user_id: uuid.UUID | str) -> str:
    return f"feed:rankings:{user_id}"


def rankings_ttl(settings: Settings) -> int:
    """How long a rankings hash outlives its last write: past the reuse window, with a margin for clock skew."""
    return settings.feed_ranking_reuse_seconds + 60


# KEYS are pairs (timeline, its rankings hash). For each timeline that exists (is built): adds the entries (ARGV[2..],
# score/member pairs), trims it to ARGV[1] entries plus the sentinel (which has the lowest score, rank 0, and so
# survives every trim), and counts a change in the rankings hash if there is one (a read made it, with its expiry:
# see the module's docstring). Returns how many timelines it wrote. One call per chunk of timelines: packing one
# command per follower cost ~165 ms of Python CPU for 10,000 followers (benchmarks/RESULTS.md).
_PUSH = """
local written = 0
for i = 1, #KEYS, 2 do
  local key = KEYS[i]
  if redis.call('EXISTS', key) == 1 then
    redis.call('ZADD', key, unpack(ARGV, 2))
    redis.call('ZREMRANGEBYRANK', key, 1, -(tonumber(ARGV[1]) + 1))
    if redis.call('EXISTS', KEYS[i + 1]) == 1 then
      redis.call('HINCRBY', KEYS[i + 1], 'changes', 1)
    end
    written = written + 1
  end
end
return written
"""


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def push(user_ids: Sequence[uuid.UUID | str], entries: Sequence[Entry], settings: Settings) -> int:
    """Add ``entries`` to the built timelines of ``user_ids``: one script call per ``feed_fanout_chunk_size``
    timelines. Returns how many timelines were written (the others are not built and are rebuilt when read)."""
    if not user_ids or not entries:
        return 0
    written = 0
    for chunk in _chunks(list(user_ids), settings.feed_fanout_chunk_size):
        call = push_call(chunk, entries, settings)
        written += int(await call.script(keys=call.keys, args=call.args))
    return written


def push_call(
    user_ids: Sequence[uuid.UUID | str], entries: Sequence[Entry], settings: Settings, description: str = ""
) -> valkey.ScriptCall:
    """``push`` to at most ``feed_fanout_chunk_size`` timelines as one script call, for a caller that sends it in a
    pipeline with other commands (a post's create: ``salon.lib.jobs.batch``)."""
    args: list[Any] = [settings.feed_timeline_max_length]
    for entry in entries:
        args += [entry.at_ms, entry.member]
    keys = [key for user_id in user_ids for key in (timeline_key(user_id), rankings_key(user_id))]
    return valkey.ScriptCall(valkey.script(_PUSH), keys, args, description)


async def rebuild(user_id: uuid.UUID, settings: Settings) -> int:
    """Replace the user's timeline with what fan-out would have put there, read from Postgres. Returns the
    timeline's change count after it (see ``rankings_key``)."""
    entries = await entries_from_postgres(user_id, settings)
    scores: dict[str, float] = {SENTINEL: float("-inf")}
    scores.update({entry.member: entry.at_ms for entry in entries})
    key = timeline_key(user_id)
    async with valkey.client().pipeline(transaction=True) as pipe:
        pipe.delete(key)
        pipe.zadd(key, scores)
        pipe.expire(key, settings.feed_timeline_ttl_seconds)
        pipe.hincrby(rankings_key(user_id), "changes", 1)
        pipe.expire(rankings_key(user_id), rankings_ttl(settings))
        results = await pipe.execute()
    return int(results[3])


async def count_change(user_id: uuid.UUID, settings: Settings) -> None:
    """Something a ranking depends on changed besides the timeline (the user's feedback): the next first page of a
    ranked feed is ranked afresh."""
    async with valkey.client().pipeline(transaction=False) as pipe:
        pipe.hincrby(rankings_key(user_id), "changes", 1)
        pipe.expire(rankings_key(user_id), rankings_ttl(settings))
        await pipe.execute()


async def read(user_id: uuid.UUID, before: tuple[int, str] | None, count: int) -> list[Entry]:
    """Up to ``count`` entries older than ``before`` (an entry ``key``), newest first."""
    client: Any = valkey.client()
    key = timeline_key(user_id)
    if before is None:
        rows = await client.zrange(key, "+inf", 1, desc=True, byscore=True, offset=0, num=count, withscores=True)
        return [Entry.parse(member, score) for member, score in rows]
    # Entries sharing the cursor's millisecond come back too; skip those at or before the cursor in member order.
    ties = await client.zcount(key, before[0], before[0])
    rows = await client.zrange(key, before[0], 1, desc=True, byscore=True, offset=0, num=count + ties, withscores=True)
    entries = [Entry.parse(member, score) for member, score in rows]
    return [entry for entry in entries if entry.key < before][:count]


# Postgres: what belongs in a timeline --------------------------------------------------------------------------------

# A timeline holds the user's own posts and reposts; posts (public, followers) and reposts by the people they follow,
# except authors above the fan-out threshold (merged at read time, see ``celebrity_entries``); and the friends-only
# posts of their friends. Each source is read newest first through an (author, id DESC) index.
_REBUILD_SQL = """
WITH me AS (SELECT {}::uuid AS id),
since AS (SELECT now() - make_interval(days => {}) AS at),
sources AS (
  SELECT id, TRUE AS own FROM me
  UNION ALL
  SELECT f.followee, FALSE FROM follows f JOIN users u ON u.id = f.followee
  WHERE f.follower = (SELECT id FROM me) AND u.is_active AND u.followers_count <= {}
),
friends AS (SELECT friend AS id FROM friendships WHERE owner = (SELECT id FROM me))
SELECT post_id, reposter_id, at FROM (
  SELECT p.id AS post_id, NULL::uuid AS reposter_id, p.created_at AS at FROM sources s CROSS JOIN LATERAL (
    SELECT id, created_at FROM posts
    WHERE author = s.id AND deleted_at IS NULL AND created_at > (SELECT at FROM since)
      AND (s.own OR visibility IN ('public', 'followers'))
    ORDER BY id DESC LIMIT {}
  ) p
  UNION ALL
  SELECT p.id, NULL, p.created_at FROM friends f CROSS JOIN LATERAL (
    SELECT id, created_at FROM posts
    WHERE author = f.id AND deleted_at IS NULL AND visibility = 'friends' AND created_at > (SELECT at FROM since)
    ORDER BY id DESC LIMIT {}
  ) p
  UNION ALL
  SELECT r.post, r.reposter, r.created_at FROM sources s CROSS JOIN LATERAL (
    SELECT post, reposter, created_at FROM reposts
    WHERE reposter = s.id AND created_at > (SELECT at FROM since)
    ORDER BY id DESC LIMIT {}
  ) r
) entries
ORDER BY at DESC LIMIT {}
"""


def _entries(rows: list[dict[str, Any]]) -> list[Entry]:
    return [Entry(row["post_id"], row["reposter_id"], epoch_ms(row["at"])) for row in rows]


async def entries_from_postgres(user_id: uuid.UUID, settings: Settings) -> list[Entry]:
    cap = settings.feed_timeline_max_length
    rows = await Post.raw(
        _REBUILD_SQL,
        user_id, settings.feed_rebuild_max_age_days, settings.feed_fanout_max_followers, cap, cap, cap, cap,
    )  # fmt: skip
    return _entries(rows)


# Authors above the fan-out threshold: their posts and reposts are read from Postgres when a follower reads.
_CELEBRITY_SQL = """
WITH celebrities AS (
  SELECT f.followee AS id FROM follows f JOIN users u ON u.id = f.followee
  WHERE f.follower = {} AND u.is_active AND u.followers_count > {}
)
SELECT post_id, reposter_id, at FROM (
  SELECT p.id AS post_id, NULL::uuid AS reposter_id, p.created_at AS at FROM celebrities c CROSS JOIN LATERAL (
    SELECT id, created_at FROM posts
    WHERE author = c.id AND deleted_at IS NULL AND created_at <= {} ORDER BY id DESC LIMIT {}
  ) p
  UNION ALL
  SELECT r.post, r.reposter, r.created_at FROM celebrities c CROSS JOIN LATERAL (
    SELECT post, reposter, created_at FROM reposts WHERE reposter = c.id AND created_at <= {} ORDER BY id DESC LIMIT {}
  ) r
) entries
ORDER BY at DESC LIMIT {}
"""


_TIE_MARGIN = 8


async def celebrity_entries(
    user_id: uuid.UUID, before: tuple[int, str] | None, count: int, settings: Settings
) -> list[Entry]:
    """Up to ``count`` entries by followed authors who are not fanned out, older than ``before``, newest first."""
    until = datetime.fromtimestamp((before[0] + 1) / 1000, tz=UTC) if before else datetime.now(UTC)
    fetch = count + _TIE_MARGIN  # entries in the cursor's millisecond may come back and be skipped below
    rows = await Post.raw(
        _CELEBRITY_SQL, user_id, settings.feed_fanout_max_followers, until, fetch, until, fetch, fetch
    )
    entries = [entry for entry in _entries(rows) if before is None or entry.key < before]
    return entries[:count]


async def author_entries(author_id: uuid.UUID, count: int, settings: Settings) -> list[Entry]:
    """An author's latest posts visible to followers, and their reposts, for merging into a new follower's timeline;
    none for an author above the fan-out threshold (read-time merged)."""
    rows = await Post.raw(
        """
        WITH author AS (SELECT id FROM users WHERE id = {} AND is_active AND followers_count <= {})
        SELECT post_id, reposter_id, at FROM (
          (SELECT id AS post_id, NULL::uuid AS reposter_id, created_at AS at FROM posts
           WHERE author = (SELECT id FROM author) AND deleted_at IS NULL AND visibility IN ('public', 'followers')
           ORDER BY id DESC LIMIT {})
          UNION ALL
          (SELECT post, reposter, created_at FROM reposts WHERE reposter = (SELECT id FROM author)
           ORDER BY id DESC LIMIT {})
        ) entries ORDER BY at DESC LIMIT {}
        """,
        author_id, settings.feed_fanout_max_followers, count, count, count,
    )  # fmt: skip
    return _entries(rows)


async def friends_only_entries(author_id: uuid.UUID, count: int) -> list[Entry]:
    """An author's latest friends-only posts, for merging into a new friend's timeline."""
    rows = await Post.raw(
        """
        SELECT id AS post_id, NULL::uuid AS reposter_id, created_at AS at FROM posts
        WHERE author = {} AND deleted_at IS NULL AND visibility = 'friends' ORDER BY id DESC LIMIT {}
        """,
        author_id, count,
    )  # fmt: skip
    return _entries(rows)


# An author's followers, unless the author is above the fan-out threshold. One row holding an array, not a row per
# follower: for 10,000 followers the rows as dicts were a tenth of the fan-out job's CPU in its profile. Read from the
# index on (followee, id DESC), which includes ``follower`` (a social migration): no heap page is read.
_FOLLOWERS_SQL = """
SELECT array_agg(f.follower) AS ids FROM follows f
WHERE f.followee = {} AND (SELECT followers_count FROM users WHERE id = {}) <= {}
"""


async def audience(author_id: uuid.UUID, visibility: str, settings: Settings) -> list[uuid.UUID]:
    """Whose timelines a new post (or repost) by ``author_id`` goes into: the author, plus their followers for public
    and followers-only posts (unless the author is above the fan-out threshold), or their friends for friends-only
    posts."""
    if visibility in ("public", "followers"):
        rows = await Post.raw(_FOLLOWERS_SQL, author_id, author_id, settings.feed_fanout_max_followers)
    elif visibility == "friends":
        rows = await Post.raw("SELECT array_agg(friend) AS ids FROM friendships WHERE owner = {}", author_id)
    else:
        rows = []
    readers = (rows[0]["ids"] if rows else None) or []  # array_agg over no rows is NULL
    return [author_id, *readers]
