"""Editing a post (its text and visibility, keeping every earlier text) and reading that history."""

# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from salon.lib import events
from salon.lib.auth import Viewer
from salon.lib.db import unit_of_work
from salon.lib.errors import Forbidden
from salon.lib.ids import new_id, parse_id
from salon.lib.pagination import Page, decode_cursor, split_page
from salon.posts.events import PostUpdated
from salon.posts.hydrate import load_posts, visible_to
from salon.posts.schemas import PostPatch, PostVersion
from salon.posts.services import (
    announce_mentions,
    clean_content,
    entities_of,
    index_entities,
    not_found,
    visible_post_row,
)
from salon.posts.tables import Post
from salon.posts.text import Entities
from salon.settings import Settings

_ENTITIES = msgspec.json.Decoder(Entities)


async def _sql(query: str, *args: Any) -> list[dict[str, Any]]:
    return await Post.raw(query, *args)


async def _own_live_post(post_id: str, viewer: Viewer) -> dict[str, Any]:
    parsed = parse_id(post_id)
    row = (await load_posts([parsed], viewer.uuid)).get(parsed) if parsed else None
    if row is None or row["deleted_at"] is not None:
        raise not_found(post_id)
    if row["author"] != viewer.uuid:
        if visible_to(viewer.uuid, row):
            raise Forbidden("Only the author can edit a post.")
        raise not_found(post_id)
    return row


async def edit_post(viewer: Viewer, post_id: str, patch: PostPatch, settings: Settings) -> None:
    """Change a post's text and/or visibility; a text change keeps the previous version in the history."""
    row = await _own_live_post(post_id, viewer)
    content = row["content"] if isinstance(patch.content, msgspec.UnsetType) else clean_content(patch.content, settings)
    visibility = row["visibility"] if isinstance(patch.visibility, msgspec.UnsetType) else patch.visibility
    if content == row["content"] and visibility == row["visibility"]:
        return
    entities = await entities_of(content) if content != row["content"] else _ENTITIES.decode(row["entities"])
    old_mentions = set(_ENTITIES.decode(row["entities"]).mentioned_ids)
    async with unit_of_work():
        if content != row["content"]:
            await _sql(
                """
                INSERT INTO post_edits (id, post, content, entities, created_at, replaced_at)
                VALUES ({}, {}, {}, {}::jsonb, {}, now())
                """,
                new_id(), row["id"], row["content"], row["entities"], row["edited_at"] or row["created_at"],
            )  # fmt: skip
            await index_entities(row["id"], entities)
        updated = await _sql(
            """
            UPDATE posts SET content = {}, entities = {}::jsonb, visibility = {}, edited_at = now()
            WHERE id = {} AND deleted_at IS NULL RETURNING edited_at
            """,
            content, msgspec.json.encode(entities).decode(), visibility, row["id"],
        )  # fmt: skip
        if not updated:
            raise not_found(post_id)
        event = PostUpdated(
            str(row["id"]), str(viewer.uuid), visibility, updated[0]["edited_at"], entities.tags, entities.mentioned_ids
        )
        await events.emit("post.updated", event)
        new_mentions = [user_id for user_id in entities.mentioned_ids if user_id not in old_mentions]
        await announce_mentions(str(row["id"]), viewer.uuid, visibility, new_mentions)


async def history(post_id: str, viewer_id: uuid.UUID | None, cursor: str | None, limit: int) -> Page[PostVersion]:
    """Versions of a post's text, newest first; the first page starts with the current version.

    The current version pages as if its key were the largest id, so one keyset covers all versions.
    """
    row = await visible_post_row(post_id, viewer_id)
    after = decode_cursor(cursor, uuid.UUID)
    rows = await _sql(
        f"""
        SELECT id, content, entities, created_at, replaced_at FROM post_edits
        WHERE post = {{}} {"AND id < {}" if after else ""} ORDER BY id DESC LIMIT {{}}
        """,
        row["id"], *([after[0]] if after else []), limit + 1,
    )  # fmt: skip
    versions = [] if after else [(CURRENT_VERSION_KEY, _current_version(row))]
    versions += [(edit["id"], _previous_version(edit)) for edit in rows]
    kept, next_cursor = split_page(versions, limit, lambda version: (str(version[0]),))
    return Page(items=[version for _, version in kept], next_cursor=next_cursor)


CURRENT_VERSION_KEY = uuid.UUID(int=(1 << 128) - 1)


def _previous_version(edit: dict[str, Any]) -> PostVersion:
    return PostVersion(edit["content"], _ENTITIES.decode(edit["entities"]), edit["created_at"], edit["replaced_at"])


def _current_version(row: dict[str, Any]) -> PostVersion:
    return PostVersion(row["content"], _ENTITIES.decode(row["entities"]), row["edited_at"] or row["created_at"], None)
