"""From timeline entries to feed candidates the viewer may see, in a fixed number of queries per batch.

A timeline says which posts are worth looking at; this module decides, at read time, which of them the viewer gets
now: the post still exists, its author is active, the viewer may see it (``salon.social`` visibility), neither the
author nor the reposter is muted or blocked, the viewer still follows whoever brought the post in (or is their
friend, for a friends-only post), and a repost has not been undone. So unfollow, block, mute and delete take effect
on the next read, whatever the timeline still holds.

``viewer_edges`` is a bulk helper the social package does not have (follow, friendship, block *and* mute for many
users in one query); it lives here and reads the social tables with the social package's own SQL predicates.
"""

# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

import msgspec

from salon.feed.timeline import Entry
from salon.moderation import holds
from salon.posts.hydrate import load_posts
from salon.posts.tables import Post
from salon.social.schemas import UserSummary
from salon.social.visibility import VIEWER_CTE, Relation, can_see, relation_columns, summary

Reason = Literal["own", "followed", "friend", "repost"]
HELD_SQL = holds.held_sql("post", "p.id")


class Edge(msgspec.Struct, frozen=True):
    """The viewer's relation to one user, and that user's summary."""

    user: UserSummary
    following: bool
    friends: bool
    blocked: bool  # either direction
    muted: bool

    @property
    def relation(self) -> Relation:
        return Relation(following=self.following, friends=self.friends, blocked=self.blocked)


class Candidate(msgspec.Struct, frozen=True):
    """A post the viewer may see in their home feed, with what scoring needs."""

    entry: Entry
    author_id: uuid.UUID
    reason: Reason
    reposted_by: UserSummary | None
    created_at: datetime
    is_reply: bool
    likes: int
    reposts: int
    quotes: int
    replies: int

    @property
    def post_id(self) -> uuid.UUID:
        return self.entry.post_id


async def _sql(query: str, *args: Any) -> list[dict[str, Any]]:
    return await Post.raw(query, *args)


async def viewer_edges(viewer_id: uuid.UUID, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Edge]:
    """The viewer's follow / friendship / block / mute state towards each active user of ``user_ids``, one query."""
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = await _sql(
        f"""
        WITH {VIEWER_CTE}
        SELECT u.id, u.username, u.display_name, u.avatar_media_id, {relation_columns("u.id")}
        FROM users u WHERE u.id = ANY({{}}::uuid[]) AND u.is_active
        """,
        viewer_id,
        ids,
    )
    return {row["id"]: _edge(summary(row), row) for row in rows}


def _edge(user: UserSummary, row: dict[str, Any]) -> Edge:
    """An ``Edge`` from a row with the ``relation_columns``."""
    return Edge(user, row["following"], row["friends"], row["blocked"], row["muted"])


def _author_edges(rows: Iterable[dict[str, Any]]) -> dict[uuid.UUID, Edge]:
    """The viewer's edges to the active authors of ``load_posts`` rows (read for the viewer, so they carry them)."""
    return {row["author"]: _edge(summary(row, "author_id"), row) for row in rows if row["author_active"]}


async def _post_rows(post_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The columns scoring and filtering need (no content), for live posts, one query."""
    if not post_ids:
        return {}
    rows = await _sql(
        f"""
        SELECT p.id, p.author, p.visibility, p.reply_to_id, p.like_count, p.repost_count, p.quote_count,
          p.reply_count, p.created_at, {HELD_SQL} AS held
        FROM posts p WHERE p.id = ANY({{}}::uuid[]) AND p.deleted_at IS NULL
        """,
        list(set(post_ids)),
    )
    return {row["id"]: row for row in rows}


async def _reposters(viewer_id: uuid.UUID, entries: Sequence[Entry]) -> dict[tuple[uuid.UUID, uuid.UUID], Edge]:
    """For the repost entries among ``entries`` whose repost still exists (an undone repost leaves its entry behind)
    and whose reposter is active: the viewer's edge to the reposter, by (post, reposter). One query, none without
    reposts."""
    pairs = {(entry.post_id, entry.reposter_id) for entry in entries if entry.reposter_id is not None}
    if not pairs:
        return {}
    rows = await _sql(
        f"""
        WITH {VIEWER_CTE}
        SELECT r.post, u.id, u.username, u.display_name, u.avatar_media_id, {relation_columns("u.id")}
        FROM unnest({{}}::uuid[], {{}}::uuid[]) AS wanted(post, reposter)
        JOIN reposts r ON r.post = wanted.post AND r.reposter = wanted.reposter
        JOIN users u ON u.id = r.reposter AND u.is_active
        """,
        viewer_id,
        [post for post, _ in pairs],
        [reposter for _, reposter in pairs],
    )
    return {(row["post"], row["id"]): _edge(summary(row), row) for row in rows}


def _reason(viewer_id: uuid.UUID, row: dict[str, Any], edges: dict[uuid.UUID, Edge]) -> Reason | None:
    """Why the viewer gets this (non-repost) entry, or None when they no longer should."""
    author = row["author"]
    if author == viewer_id:
        return "own"
    edge = edges.get(author)
    if edge is None:
        return None
    if row["visibility"] == "friends":
        return "friend" if edge.friends else None
    return "followed" if edge.following else None


def _brought_by(viewer_id: uuid.UUID, entry: Entry, reposter: Edge | None) -> bool:
    """Does the viewer still get a repost entry: their own repost, or one by someone they follow and have not muted
    or blocked (``reposter`` is None for an undone repost or an inactive reposter)?"""
    if reposter is None:
        return False
    return entry.reposter_id == viewer_id or (reposter.following and not (reposter.muted or reposter.blocked))


def _visible(viewer_id: uuid.UUID, row: dict[str, Any], edges: dict[uuid.UUID, Edge]) -> bool:
    author = row["author"]
    if author == viewer_id:
        return True
    if row["held"]:  # on hold for moderation review: only its author sees it
        return False
    edge = edges.get(author)  # missing: the author is deactivated
    return edge is not None and not edge.muted and can_see(viewer_id, author, row["visibility"], edge.relation)


async def resolve(
    viewer_id: uuid.UUID, entries: Sequence[Entry], loaded: dict[uuid.UUID, dict[str, Any]] | None = None
) -> dict[str, Candidate]:
    """The entries the viewer may be shown now, by member, in a fixed number of queries whatever their number.

    With ``loaded`` (a page about to be hydrated) the posts and the posts they reference are read whole for the viewer
    in one query (``load_posts``: the relations to their authors included) and kept there for ``hydrate``; without
    (ranking hundreds of candidates) only the columns scoring needs are read, and the relations in a second query.
    Entries that are reposts cost one more (``_reposters``)."""
    post_ids = [entry.post_id for entry in entries]
    if loaded is None:
        rows = await _post_rows(post_ids)
        edges = await viewer_edges(viewer_id, {row["author"] for row in rows.values()})
    else:
        read = await load_posts(post_ids, viewer_id, references=True)
        loaded.update(read)
        rows = {post_id: row for post_id, row in read.items() if row["deleted_at"] is None}
        edges = _author_edges(rows.values())
    reposters = await _reposters(viewer_id, [entry for entry in entries if entry.post_id in rows])
    candidates: dict[str, Candidate] = {}
    for entry in entries:
        row = rows.get(entry.post_id)
        if row is None or not _visible(viewer_id, row, edges):
            continue
        reposter = reposters.get((entry.post_id, entry.reposter_id)) if entry.reposter_id else None
        if entry.reposter_id is None:
            reason = _reason(viewer_id, row, edges)
        else:
            reason = "repost" if _brought_by(viewer_id, entry, reposter) else None
        if reason is None:
            continue
        candidates[entry.member] = Candidate(
            entry=entry,
            author_id=row["author"],
            reason=reason,
            reposted_by=reposter.user if reposter else None,
            created_at=row["created_at"],
            is_reply=row["reply_to_id"] is not None,
            likes=row["like_count"],
            reposts=row["repost_count"],
            quotes=row["quote_count"],
            replies=row["reply_count"],
        )
    return candidates
