"""Blocks and mutes: what one user does to keep another away (a block, both ways) or out of sight (a mute, private).

Who-may-see-what given these rows lives in ``salon.social.visibility``.
"""

from __future__ import annotations

import uuid

from salon.lib import events
from salon.lib.db import unit_of_work
from salon.lib.ids import new_id
from salon.social.events import UserBlocked, UserMuted, UserUnblocked, UserUnmuted
from salon.social.friends import _remove_friendship
from salon.social.schemas import BlockState, MuteState
from salon.social.services import _lock_users, _other_user, _remove_follows, _sql
from salon.social.visibility import find_user


async def block(viewer_id: uuid.UUID, username: str) -> BlockState:
    """Block @username: follows, friendship and pending friend requests between the two are removed, both ways."""
    target = await find_user(username)
    target_id = _other_user(viewer_id, target, "block")
    async with unit_of_work():
        await _lock_users(viewer_id, target_id)
        inserted = await _sql(
            "INSERT INTO blocks (id, blocker, blocked, created_at) VALUES ({}, {}, {}, now()) "
            "ON CONFLICT DO NOTHING RETURNING id",
            new_id(), viewer_id, target_id,
        )  # fmt: skip
        if inserted:
            await _sever(viewer_id, target_id)
            await events.emit("user.blocked", UserBlocked(str(viewer_id), str(target_id)))
    return BlockState(blocking=True)


async def _sever(a: uuid.UUID, b: uuid.UUID) -> None:
    await _remove_follows("(follower = {} AND followee = {}) OR (follower = {} AND followee = {})", a, b, b, a)
    await _remove_friendship(a, b)
    await _sql(
        "DELETE FROM friend_requests WHERE (sender = {} AND recipient = {}) OR (sender = {} AND recipient = {})",
        a, b, b, a,
    )  # fmt: skip


async def unblock(viewer_id: uuid.UUID, username: str) -> BlockState:
    target = await find_user(username)
    target_id = _other_user(viewer_id, target, "unblock")
    async with unit_of_work():
        rows = await _sql("DELETE FROM blocks WHERE blocker = {} AND blocked = {} RETURNING id", viewer_id, target_id)
        if rows:
            await events.emit("user.unblocked", UserUnblocked(str(viewer_id), str(target_id)))
    return BlockState(blocking=False)


async def mute(viewer_id: uuid.UUID, username: str) -> MuteState:
    """Mute @username: they disappear from the viewer's feeds and notifications, and are not told."""
    target = await find_user(username)
    target_id = _other_user(viewer_id, target, "mute")
    async with unit_of_work():
        rows = await _sql(
            "INSERT INTO mutes (id, muter, muted, created_at) VALUES ({}, {}, {}, now()) "
            "ON CONFLICT DO NOTHING RETURNING id",
            new_id(), viewer_id, target_id,
        )  # fmt: skip
        if rows:
            await events.emit("user.muted", UserMuted(str(viewer_id), str(target_id)))
    return MuteState(muting=True)


async def unmute(viewer_id: uuid.UUID, username: str) -> MuteState:
    target = await find_user(username)
    target_id = _other_user(viewer_id, target, "unmute")
    async with unit_of_work():
        rows = await _sql("DELETE FROM mutes WHERE muter = {} AND muted = {} RETURNING id", viewer_id, target_id)
        if rows:
            await events.emit("user.unmuted", UserUnmuted(str(viewer_id), str(target_id)))
    return MuteState(muting=False)
