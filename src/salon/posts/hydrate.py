"""The one way posts become API objects: ids in, ``PostView``/``Tombstone`` out, for one viewer.

Every list and every single-post read goes through ``hydrate``. It costs one query whatever the page size: the posts,
the posts they reply to or quote, their authors, and per post the viewer's relation to its author and the viewer's
like/repost/bookmark (``load_posts``), so a page never turns into N+1. A caller that has read the rows already (the
home feed's read-time checks, a create's returned row) passes them and hydrate reads only what is missing.
"""

# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Literal

import msgspec

from salon.lib.db import probe_sql
from salon.moderation import holds
from salon.posts.schemas import ConversationCard, EmbeddedPost, PostView, Tombstone, ViewerState
from salon.posts.tables import Post
from salon.posts.text import Entities
from salon.social.services import can_see
from salon.social.visibility import ME, VIEWER_CTE, relation_columns, relation_of, summary

POST_COLUMNS = (
    "p.id, p.author, p.kind, p.content, p.visibility, p.reply_to_id, p.quote_of_id, p.root_id, p.media_ids, "
    "p.entities, p.like_count, p.repost_count, p.reply_count, p.quote_count, p.fork_count, p.attachment, "
    "p.created_at, p.edited_at, "
    "p.deleted_at, u.id AS author_id, u.username, u.display_name, u.avatar_media_id, u.is_active AS author_active, "
    f"{holds.held_flag_sql('post', 'p.id')} AS held"
)
# Per post, for the viewer of the query's VIEWER_CTE: their relation to the author (``relation_columns``: following,
# friends, blocked, muted) and their like, repost and bookmark of it. All false for an anonymous viewer.
VIEWER_COLUMNS = (
    f"{relation_columns('p.author')}, "
    f"{probe_sql('likes', f'liker = {ME} AND post = p.id')} AS liked, "
    f"{probe_sql('reposts', f'reposter = {ME} AND post = p.id')} AS reposted, "
    f"{probe_sql('bookmarks', f'owner = {ME} AND post = p.id')} AS bookmarked"
)
# The viewer columns of a post its author has just created: they neither follow, befriend, block nor mute themselves,
# and nobody has liked, reposted or bookmarked it yet.
NEW_POST_VIEWER_COLUMNS = (
    "FALSE AS following, FALSE AS friends, FALSE AS blocked, FALSE AS muted, "
    "FALSE AS liked, FALSE AS reposted, FALSE AS bookmarked"
)
_LOAD = f"""
WITH {VIEWER_CTE}
SELECT {POST_COLUMNS}, {VIEWER_COLUMNS}
FROM posts p JOIN users u ON u.id = p.author WHERE p.id = ANY({{}}::uuid[])
"""
_LOAD_WITH_REFERENCES = f"""
WITH {VIEWER_CTE},
ids AS (
  SELECT unnest({{}}::uuid[]) AS id
  UNION
  SELECT r.id FROM posts q CROSS JOIN LATERAL (VALUES (q.reply_to_id), (q.quote_of_id)) AS r(id)
  WHERE q.id = ANY({{}}::uuid[]) AND r.id IS NOT NULL
)
SELECT {POST_COLUMNS}, {VIEWER_COLUMNS}
FROM ids JOIN posts p ON p.id = ids.id JOIN users u ON u.id = p.author
"""
_ENTITIES = msgspec.json.Decoder(Entities)
_CARD = msgspec.json.Decoder(ConversationCard)


async def load_posts(
    post_ids: Sequence[uuid.UUID], viewer_id: uuid.UUID | None = None, *, references: bool = False
) -> dict[uuid.UUID, dict[str, Any]]:
    """Post rows by id (deleted ones included) with their author's summary columns and the ``VIEWER_COLUMNS`` for
    ``viewer_id``, one query. With ``references`` the posts they reply to or quote come in the same query."""
    ids = list(set(post_ids))
    if not ids:
        return {}
    if references:
        rows = await Post.raw(_LOAD_WITH_REFERENCES, viewer_id, ids, ids)
    else:
        rows = await Post.raw(_LOAD, viewer_id, ids)
    return {row["id"]: row for row in rows}


def viewer_state(row: dict[str, Any]) -> ViewerState:
    """The viewer's like, repost and bookmark of a post, from its ``load_posts`` row."""
    return ViewerState(liked=row["liked"], reposted=row["reposted"], bookmarked=row["bookmarked"])


def visible_to(viewer_id: uuid.UUID | None, row: dict[str, Any]) -> bool:
    """Is the (undeleted) post ``row``, read by ``load_posts`` for this viewer, visible to them? (Held for moderation
    review: only to its author.)"""
    if row["held"] and row["author"] != viewer_id:
        return False
    return bool(row["author_active"]) and can_see(viewer_id, row["author"], row["visibility"], relation_of(row))


def _tombstone_reason(
    viewer_id: uuid.UUID | None, row: dict[str, Any] | None
) -> Literal["deleted", "unavailable"] | None:
    if row is None or row["deleted_at"] is not None:
        return "deleted"
    if not visible_to(viewer_id, row):
        return "unavailable"
    return None


def _fields(row: dict[str, Any]) -> dict[str, Any]:
    entities = row["entities"]
    return {
        "moderation_notice": holds.HIDDEN_NOTICE if row["held"] else None,
        "id": str(row["id"]),
        "kind": row["kind"],
        "author": summary(row, "author_id"),
        "content": row["content"],
        "visibility": row["visibility"],
        "created_at": row["created_at"],
        "edited_at": row["edited_at"],
        "reply_to_id": _str(row["reply_to_id"]),
        "quote_of_id": _str(row["quote_of_id"]),
        "root_id": _str(row["root_id"]),
        "media_ids": [str(media_id) for media_id in row["media_ids"] or []],
        "entities": _ENTITIES.decode(entities) if isinstance(entities, str | bytes) else Entities(),
        "like_count": row["like_count"],
        "repost_count": row["repost_count"],
        "reply_count": row["reply_count"],
        "quote_count": row["quote_count"],
        "viewer": viewer_state(row),
        "conversation": _conversation_card(row),
    }


def _conversation_card(row: dict[str, Any]) -> ConversationCard | None:
    """The preview card of a published conversation (its attachment, with the live fork count)."""
    if row["kind"] != "conversation" or not row["attachment"]:
        return None
    card = _CARD.decode(row["attachment"])
    return msgspec.structs.replace(card, fork_count=row["fork_count"])


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


async def hydrate(
    post_ids: Sequence[uuid.UUID],
    viewer_id: uuid.UUID | None,
    *,
    loaded: dict[uuid.UUID, dict[str, Any]] | None = None,
) -> list[PostView | Tombstone]:
    """``post_ids`` as the viewer may see them, in the same order: a ``PostView``, or a ``Tombstone`` for a post that
    is deleted, missing, or hidden from the viewer. Replied-to and quoted posts are embedded the same way.

    ``loaded`` are rows the caller has just read for this viewer (``load_posts`` shape, viewer columns included);
    only what is missing is read, posts and the posts they reference in one query."""
    posts = dict(loaded or {})
    missing = [post_id for post_id in post_ids if post_id not in posts]
    posts.update(await load_posts(missing, viewer_id, references=True))
    referenced = {ref for row in posts.values() for ref in (row["reply_to_id"], row["quote_of_id"]) if ref}
    posts.update(await load_posts([ref for ref in referenced if ref not in posts], viewer_id))

    def embedded(ref: uuid.UUID | None) -> EmbeddedPost | Tombstone | None:
        if ref is None:
            return None
        row = posts.get(ref)
        reason = _tombstone_reason(viewer_id, row)
        if reason or row is None:
            return Tombstone(id=str(ref), reason=reason or "deleted")
        return EmbeddedPost(**_fields(row))

    views: list[PostView | Tombstone] = []
    for post_id in post_ids:
        row = posts.get(post_id)
        reason = _tombstone_reason(viewer_id, row)
        if reason or row is None:
            views.append(Tombstone(id=str(post_id), reason=reason or "deleted"))
            continue
        views.append(
            PostView(
                **_fields(row),
                reply_to=embedded(row["reply_to_id"]),
                quote_of=embedded(row["quote_of_id"]),
            )
        )
    return views


def visible_views(views: list[PostView | Tombstone]) -> list[PostView]:
    """Drop tombstones (for lists whose query already filtered: a post deleted in between simply disappears)."""
    return [view for view in views if isinstance(view, PostView)]
