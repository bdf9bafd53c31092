# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""Blocks and mutes: what one user does to keep another away (a block, both ways) or out of sight (a mute, private),
and the viewer's own lists of both (a "Blocked accounts" / "Muted accounts" settings page).

Who-may-see-what given these rows lives in ``salon.social.visibility``.
"""

from __future__ import annotations

import uuid
from typing import Any

from salon.lib import events
from salon.lib.db import unit_of_work
from salon.lib.ids import new_id
from salon.lib.pagination import Page, decode_cursor, split_page
from salon.social.events import UserBlocked, UserMuted, UserUnblocked, UserUnmuted
from salon.social.friends import remove_friendship
from salon.social.schemas import BlockedUser, BlockState, MutedUser, MuteState
from salon.social.services import PREFIXED_USER_COLUMNS, lock_users, other_user, remove_follows, sql
from salon.social.visibility import find_user, summary


async def block(viewer_id: uuid.UUID, username: str) -> BlockState:
    """Block @username: follows, friendship and pending friend requests between the two are removed, both ways."""
    target = await find_user(username)
    target_id = other_user(viewer_id, target, "block")
    async with unit_of_work():
        await lock_users(viewer_id, target_id)
        inserted = await sql(
            "INSERT INTO blocks (id, blocker, blocked, created_at) VALUES ({}, {}, {}, now()) "
            "ON CONFLICT DO NOTHING RETURNING id",
            new_id(), viewer_id, target_id,
        )  # fmt: skip
        if inserted:
            await _sever(viewer_id, target_id)
            await events.emit("user.blocked", UserBlocked(str(viewer_id), str(target_id)))
    return BlockState(blocking=True)


async def _sever(a: uuid.UUID, b: uuid.UUID) -> None:
    await remove_follows("(follower = {} AND followee = {}) OR (follower = {} AND followee = {})", a, b, b, a)
    await remove_friendship(a, b)
    await sql(
        "DELETE FROM friend_requests WHERE (sender = {} AND recipient = {}) OR (sender = {} AND recipient = {})",
        a, b, b, a,
    )  # fmt: skip


async def unblock(viewer_id: uuid.UUID, username: str) -> BlockState:
    target = await find_user(username)
    target_id = other_user(viewer_id, target, "unblock")
    async with unit_of_work():
        rows = await sql("DELETE FROM blocks WHERE blocker = {} AND blocked = {} RETURNING id", viewer_id, target_id)
        if rows:
            await events.emit("user.unblocked", UserUnblocked(str(viewer_id), str(target_id)))
    return BlockState(blocking=False)


async def mute(viewer_id: uuid.UUID, username: str) -> MuteState:
    """Mute @username: they disappear from the viewer's feeds and notifications, and are not told."""
    target = await find_user(username)
    target_id = other_user(viewer_id, target, "mute")
    async with unit_of_work():
        rows = await sql(
            "INSERT INTO mutes (id, muter, muted, created_at) VALUES ({}, {}, {}, now()) "
            "ON CONFLICT DO NOTHING RETURNING id",
            new_id(), viewer_id, target_id,
        )  # fmt: skip
        if rows:
            await events.emit("user.muted", UserMuted(str(viewer_id), str(target_id)))
    return MuteState(muting=True)


async def unmute(viewer_id: uuid.UUID, username: str) -> MuteState:
    target = await find_user(username)
    target_id = other_user(viewer_id, target, "unmute")
    async with unit_of_work():
        rows = await sql("DELETE FROM mutes WHERE muter = {} AND muted = {} RETURNING id", viewer_id, target_id)
        if rows:
            await events.emit("user.unmuted", UserUnmuted(str(viewer_id), str(target_id)))
    return MuteState(muting=False)


# The viewer's own lists ---------------------------------------------------------------------------------------------


async def blocked_users(viewer_id: uuid.UUID, cursor: str | None, limit: int) -> Page[BlockedUser]:
    """Whom the viewer blocked, most recent block first (index ``blocks (blocker, id DESC)``)."""
    kept, next_cursor = await _own_list("blocks", "blocker", "blocked", viewer_id, cursor, limit)
    items = [BlockedUser(user=summary(row), blocked_at=row["since"]) for row in kept]
    return Page(items=items, next_cursor=next_cursor)


async def muted_users(viewer_id: uuid.UUID, cursor: str | None, limit: int) -> Page[MutedUser]:
    """Whom the viewer muted, most recent mute first (index ``mutes (muter, id DESC)``). Someone who has since
    blocked the viewer is left out: for the viewer they do not exist (as on their profile)."""
    kept, next_cursor = await _own_list("mutes", "muter", "muted", viewer_id, cursor, limit)
    items = [MutedUser(user=summary(row), muted_at=row["since"]) for row in kept]
    return Page(items=items, next_cursor=next_cursor)


async def _own_list(
    table: str, owner_column: str, other_column: str, viewer_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A keyset page (``id DESC``) of the active users the viewer has a ``table`` row about."""
    after = decode_cursor(cursor, uuid.UUID)
    hide_blockers = (
        "" if table == "blocks" else "AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker = u.id AND b.blocked = {})"
    )
    rows = await sql(
        f"""
        SELECT r.id AS relation_id, r.created_at AS since, {PREFIXED_USER_COLUMNS}
        FROM {table} r JOIN users u ON u.id = r.{other_column}
        WHERE r.{owner_column} = {{}} AND u.is_active {hide_blockers}
          {"AND r.id < {}" if after else ""}
        ORDER BY r.id DESC LIMIT {{}}
        """,
        viewer_id, *([viewer_id] if hide_blockers else []), *([after[0]] if after else []), limit + 1,
    )  # fmt: skip
    return split_page(rows, limit, lambda row: (str(row["relation_id"]),))
