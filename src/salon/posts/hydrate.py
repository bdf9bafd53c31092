"""The one way posts become API objects: ids in, ``PostView``/``Tombstone`` out, for one viewer.

Every list and every single-post read goes through ``hydrate``. It costs a fixed number of queries whatever the page
size (posts with authors, the posts they reference, the viewer's relations to all authors, the viewer's likes/reposts/
bookmarks), so a page never turns into N+1.
"""

# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import msgspec

from salon.moderation import holds
from salon.posts.schemas import ConversationCard, EmbeddedPost, PostView, Tombstone, ViewerState
from salon.posts.tables import Post
from salon.posts.text import Entities
from salon.social.services import can_see, relations
from salon.social.visibility import NO_RELATION, Relation, summary

POST_COLUMNS = (
    "p.id, p.author, p.kind, p.content, p.visibility, p.reply_to_id, p.quote_of_id, p.root_id, p.media_ids, "
    "p.entities, p.like_count, p.repost_count, p.reply_count, p.quote_count, p.fork_count, p.attachment, "
    "p.created_at, p.edited_at, "
    "p.deleted_at, u.id AS author_id, u.username, u.display_name, u.avatar_media_id, u.is_active AS author_active, "
    f"{holds.held_sql('post', 'p.id')} AS held"
)
_ENTITIES = msgspec.json.Decoder(Entities)
_CARD = msgspec.json.Decoder(ConversationCard)


async def load_posts(post_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """Post rows (with their author's summary columns) by id, one query."""
    if not post_ids:
        return {}
    rows = await Post.raw(
        f"SELECT {POST_COLUMNS} FROM posts p JOIN users u ON u.id = p.author WHERE p.id = ANY({{}}::uuid[])",
        list(set(post_ids)),
    )
    return {row["id"]: row for row in rows}


async def _viewer_states(viewer_id: uuid.UUID | None, post_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ViewerState]:
    if viewer_id is None or not post_ids:
        return {}
    rows = await Post.raw(
        """
        SELECT post, 'liked' AS state FROM likes WHERE liker = {} AND post = ANY({}::uuid[])
        UNION ALL SELECT post, 'reposted' FROM reposts WHERE reposter = {} AND post = ANY({}::uuid[])
        UNION ALL SELECT post, 'bookmarked' FROM bookmarks WHERE owner = {} AND post = ANY({}::uuid[])
        """,
        *([viewer_id, list(post_ids)] * 3),
    )
    flags: dict[uuid.UUID, set[str]] = {}
    for row in rows:
        flags.setdefault(row["post"], set()).add(row["state"])
    return {
        post_id: ViewerState(liked="liked" in names, reposted="reposted" in names, bookmarked="bookmarked" in names)
        for post_id, names in flags.items()
    }


def visible_to(viewer_id: uuid.UUID | None, row: dict[str, Any], relation: Relation) -> bool:
    """Is the (undeleted) post ``row`` visible to the viewer? (Held for moderation review: only to its author.)"""
    if row["held"] and row["author"] != viewer_id:
        return False
    return bool(row["author_active"]) and can_see(viewer_id, row["author"], row["visibility"], relation)


def _tombstone_reason(viewer_id: uuid.UUID | None, row: dict[str, Any] | None, rels: dict[uuid.UUID, Relation]):  # type: ignore[no-untyped-def]
    if row is None or row["deleted_at"] is not None:
        return "deleted"
    if not visible_to(viewer_id, row, rels.get(row["author"], NO_RELATION)):
        return "unavailable"
    return None


def _fields(row: dict[str, Any], state: ViewerState) -> dict[str, Any]:
    entities = row["entities"]
    return {
        "moderation_notice": holds.HIDDEN_NOTICE if row["held"] else None,
        "id": str(row["id"]),
        "kind": row["kind"],
        "author": summary({**row, "id": row["author_id"]}),
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
        "viewer": state,
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
    known_relations: dict[uuid.UUID, Relation] | None = None,
) -> list[PostView | Tombstone]:
    """``post_ids`` as the viewer may see them, in the same order: a ``PostView``, or a ``Tombstone`` for a post that
    is deleted, missing, or hidden from the viewer. Replied-to and quoted posts are embedded the same way.

    A caller that has just read some of the rows (``load_posts``) or the viewer's relations to some authors passes
    them as ``loaded`` / ``known_relations``; only what is missing is read again."""
    posts = dict(loaded or {})
    posts.update(await load_posts([post_id for post_id in post_ids if post_id not in posts]))
    referenced = {ref for row in posts.values() for ref in (row["reply_to_id"], row["quote_of_id"]) if ref}
    posts.update(await load_posts([ref for ref in referenced if ref not in posts]))
    rels = dict(known_relations or {})
    rels.update(await relations(viewer_id, {row["author"] for row in posts.values()} - rels.keys()))
    states = await _viewer_states(viewer_id, list(posts))

    def embedded(ref: uuid.UUID | None) -> EmbeddedPost | Tombstone | None:
        if ref is None:
            return None
        row = posts.get(ref)
        reason = _tombstone_reason(viewer_id, row, rels)
        if reason or row is None:
            return Tombstone(id=str(ref), reason=reason or "deleted")
        return EmbeddedPost(**_fields(row, states.get(ref, ViewerState())))

    views: list[PostView | Tombstone] = []
    for post_id in post_ids:
        row = posts.get(post_id)
        reason = _tombstone_reason(viewer_id, row, rels)
        if reason or row is None:
            views.append(Tombstone(id=str(post_id), reason=reason or "deleted"))
            continue
        views.append(
            PostView(
                **_fields(row, states.get(post_id, ViewerState())),
                reply_to=embedded(row["reply_to_id"]),
                quote_of=embedded(row["quote_of_id"]),
            )
        )
    return views


def visible_views(views: list[PostView | Tombstone]) -> list[PostView]:
    """Drop tombstones (for lists whose query already filtered: a post deleted in between simply disappears)."""
    return [view for view in views if isinstance(view, PostView)]
