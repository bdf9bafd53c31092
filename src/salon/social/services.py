# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""The social graph's rules: follows, friend requests and friendships, blocks and mutes.

Counters on users (``followers_count``/``following_count``) change in the same statement as the follow row that
justifies them, and only when a row was really inserted or deleted, so they are exact under concurrency and never
negative. Operations on a pair of users first lock both user rows in id order: two people following each other at the
same moment then serialise instead of deadlocking.

Who-may-see-what lives in ``salon.social.visibility`` and is re-exported here for other packages.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from salon.accounts.tables import User
from salon.lib import events
from salon.lib.db import unit_of_work
from salon.lib.errors import Conflict, NotFound, ValidationFailed
from salon.lib.ids import new_id, parse_id
from salon.lib.pagination import Page, decode_cursor, split_page
from salon.social.events import (
    FriendAccepted,
    FriendRemoved,
    FriendRequested,
    UserBlocked,
    UserFollowed,
    UserMuted,
    UserUnblocked,
    UserUnfollowed,
    UserUnmuted,
)
from salon.social.schemas import (
    BlockState,
    FollowState,
    FriendRequestView,
    Friendship,
    MuteState,
    Relationship,
    RelationshipEntry,
)
from salon.social.visibility import (
    ME,
    USER_COLUMNS,
    VIEWER_CTE,
    Relation,
    blocked_between_ids,
    blocked_sql,
    can_see,
    find_user,
    find_visible_user,
    is_blocked_between,
    muted_user_ids,
    not_blocked_sql,
    relations,
    summary,
    users_by_id,
    visible_levels,
    visible_post_sql,
)

__all__ = [
    "ME",
    "VIEWER_CTE",
    "Relation",
    "blocked_between_ids",
    "blocked_sql",
    "can_see",
    "find_user",
    "find_visible_user",
    "is_blocked_between",
    "muted_user_ids",
    "not_blocked_sql",
    "relations",
    "users_by_id",
    "visible_levels",
    "visible_post_sql",
]

PREFIXED_USER_COLUMNS = ", ".join(f"u.{column}" for column in USER_COLUMNS.split(", "))


async def _sql(query: str, *args: Any) -> list[dict[str, Any]]:
    return await User.raw(query, *args)  # type: ignore[no-any-return]


async def _lock_users(*user_ids: uuid.UUID) -> None:
    await _sql("SELECT id FROM users WHERE id = ANY({}::uuid[]) ORDER BY id FOR UPDATE", sorted(user_ids))


def _other_user(viewer_id: uuid.UUID, user: dict[str, Any], action: str) -> uuid.UUID:
    if user["id"] == viewer_id:
        raise ValidationFailed(f"You cannot {action} yourself.")
    return user["id"]  # type: ignore[no-any-return]


async def _reachable_user(viewer_id: uuid.UUID, username: str, action: str) -> tuple[dict[str, Any], uuid.UUID]:
    """The user the viewer wants to ``action``: 404 when they blocked the viewer (as if they did not exist), 409 when
    the viewer blocked them."""
    target = await find_user(username)
    target_id = _other_user(viewer_id, target, action)
    rows = await _sql(
        "SELECT blocker FROM blocks WHERE (blocker = {} AND blocked = {}) OR (blocker = {} AND blocked = {})",
        viewer_id, target_id, target_id, viewer_id,
    )  # fmt: skip
    blockers = {row["blocker"] for row in rows}
    if target_id in blockers:
        raise NotFound(f"There is no user called @{username}.")
    if viewer_id in blockers:
        raise Conflict(f"You blocked @{target['username']}; unblock them first to {action} them.")
    return target, target_id


# Follows -----------------------------------------------------------------------------------------------------------


async def follow(viewer_id: uuid.UUID, username: str) -> FollowState:
    """Follow @username. Following someone you already follow is a no-op."""
    _, target_id = await _reachable_user(viewer_id, username, "follow")
    async with unit_of_work():
        await _lock_users(viewer_id, target_id)
        rows = await _sql(
            """
            WITH added AS (
              INSERT INTO follows (id, follower, followee, created_at) VALUES ({}, {}, {}, now())
              ON CONFLICT DO NOTHING RETURNING follower, followee, created_at
            )
            UPDATE users u SET following_count = u.following_count + (u.id = added.follower)::int,
                               followers_count = u.followers_count + (u.id = added.followee)::int
            FROM added WHERE u.id IN (added.follower, added.followee)
            RETURNING u.id, u.followers_count, added.created_at
            """,
            new_id(), viewer_id, target_id,
        )  # fmt: skip
        if rows:
            created_at = rows[0]["created_at"]
            await events.emit("user.followed", UserFollowed(str(viewer_id), str(target_id), created_at))
            count = next(row["followers_count"] for row in rows if row["id"] == target_id)
            return FollowState(following=True, followers_count=count)
    return FollowState(following=True, followers_count=await _followers_count(target_id))


async def unfollow(viewer_id: uuid.UUID, username: str) -> FollowState:
    """Stop following @username. Unfollowing someone you do not follow is a no-op."""
    target = await find_user(username)
    target_id = _other_user(viewer_id, target, "unfollow")
    async with unit_of_work():
        await _lock_users(viewer_id, target_id)
        removed = await _remove_follows("follower = {} AND followee = {}", viewer_id, target_id)
        if removed:
            await events.emit("user.unfollowed", UserUnfollowed(str(viewer_id), str(target_id)))
    return FollowState(following=False, followers_count=await _followers_count(target_id))


async def _remove_follows(where: str, *args: Any) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Delete the follows matching ``where`` and decrement both counters of each, in one statement.

    One UPDATE computes both deltas per user, so a user who is follower in one deleted row and followee in another
    (mutual follows removed by a block) gets both changes.
    """
    rows = await _sql(
        f"""
        WITH gone AS (DELETE FROM follows WHERE {where} RETURNING follower, followee),
        adjusted AS (
          UPDATE users u
          SET following_count = GREATEST(u.following_count - (SELECT count(*) FROM gone WHERE follower = u.id), 0),
              followers_count = GREATEST(u.followers_count - (SELECT count(*) FROM gone WHERE followee = u.id), 0)
          WHERE u.id IN (SELECT follower FROM gone UNION SELECT followee FROM gone)
        )
        SELECT follower, followee FROM gone
        """,
        *args,
    )
    return [(row["follower"], row["followee"]) for row in rows]


async def _followers_count(user_id: uuid.UUID) -> int:
    rows = await _sql("SELECT followers_count FROM users WHERE id = {}", user_id)
    return int(rows[0]["followers_count"]) if rows else 0


async def followers(
    username: str, viewer_id: uuid.UUID | None, cursor: str | None, limit: int
) -> Page[RelationshipEntry]:
    """Who follows @username, newest first."""
    user = await find_visible_user(username, viewer_id)
    return await _relationship_page("follows", "followee", "follower", user["id"], viewer_id, cursor, limit)


async def following(
    username: str, viewer_id: uuid.UUID | None, cursor: str | None, limit: int
) -> Page[RelationshipEntry]:
    """Whom @username follows, newest first."""
    user = await find_visible_user(username, viewer_id)
    return await _relationship_page("follows", "follower", "followee", user["id"], viewer_id, cursor, limit)


async def _relationship_page(
    table: str,
    owner_column: str,
    other_column: str,
    owner_id: uuid.UUID,
    viewer_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> Page[RelationshipEntry]:
    """A keyset page (``id DESC``) of the users related to ``owner_id`` through ``table``, hiding users the viewer
    has a block with."""
    after = decode_cursor(cursor, uuid.UUID)
    rows = await _sql(
        f"""
        WITH {VIEWER_CTE}
        SELECT r.id AS relation_id, r.created_at AS since, {PREFIXED_USER_COLUMNS}
        FROM {table} r JOIN users u ON u.id = r.{other_column}
        WHERE r.{owner_column} = {{}} AND u.is_active AND {not_blocked_sql("u.id")}
          {"AND r.id < {}" if after else ""}
        ORDER BY r.id DESC LIMIT {{}}
        """,
        viewer_id, owner_id, *([after[0]] if after else []), limit + 1,
    )  # fmt: skip
    kept, next_cursor = split_page(rows, limit, lambda row: (str(row["relation_id"]),))
    items = [RelationshipEntry(user=summary(row), since=row["since"]) for row in kept]
    return Page(items=items, next_cursor=next_cursor)


# Friends -----------------------------------------------------------------------------------------------------------


async def send_friend_request(viewer_id: uuid.UUID, username: str) -> tuple[FriendRequestView, bool]:
    """Ask @username to be friends. Returns ``(request, created)``.

    Asking again while a request is pending returns the pending request. When @username has already asked the
    viewer, this accepts their request instead (both wanted it).
    """
    target, target_id = await _reachable_user(viewer_id, username, "befriend")
    async with unit_of_work():
        await _lock_users(viewer_id, target_id)
        if await _are_friends(viewer_id, target_id):
            raise Conflict(f"You and @{target['username']} are already friends.")
        reverse = await _sql(
            "SELECT id FROM friend_requests WHERE sender = {} AND recipient = {}", target_id, viewer_id
        )
        if reverse:
            return await _accept(reverse[0]["id"], sender_id=target_id, accepter_id=viewer_id), True
        rows = await _sql(
            """
            INSERT INTO friend_requests (id, sender, recipient, created_at) VALUES ({}, {}, {}, now())
            ON CONFLICT DO NOTHING RETURNING id, created_at
            """,
            new_id(), viewer_id, target_id,
        )  # fmt: skip
        created = bool(rows)
        if created:
            request_id, created_at = rows[0]["id"], rows[0]["created_at"]
            event = FriendRequested(str(request_id), str(viewer_id), str(target_id), created_at)
            await events.emit("friend.requested", event)
        else:
            existing = await _sql(
                "SELECT id, created_at FROM friend_requests WHERE sender = {} AND recipient = {}", viewer_id, target_id
            )
            request_id, created_at = existing[0]["id"], existing[0]["created_at"]
    people = await users_by_id([viewer_id, target_id])
    view = FriendRequestView(str(request_id), people[viewer_id], people[target_id], created_at)
    return view, created


async def friend_requests(
    viewer_id: uuid.UUID, direction: Literal["incoming", "outgoing"], cursor: str | None, limit: int
) -> Page[FriendRequestView]:
    """Pending requests the viewer received (``incoming``) or sent (``outgoing``), newest first."""
    mine, theirs = ("recipient", "sender") if direction == "incoming" else ("sender", "recipient")
    after = decode_cursor(cursor, uuid.UUID)
    rows = await _sql(
        f"""
        SELECT id, sender, recipient, created_at FROM friend_requests
        WHERE {mine} = {{}} {"AND id < {}" if after else ""} ORDER BY id DESC LIMIT {{}}
        """,
        viewer_id, *([after[0]] if after else []), limit + 1,
    )  # fmt: skip
    kept, next_cursor = split_page(rows, limit, lambda row: (str(row["id"]),))
    people = await users_by_id([row[theirs] for row in kept] + [viewer_id])
    items = [
        FriendRequestView(str(row["id"]), people[row["sender"]], people[row["recipient"]], row["created_at"])
        for row in kept
    ]
    return Page(items=items, next_cursor=next_cursor)


async def _pending_request(request_id: str, viewer_id: uuid.UUID) -> dict[str, Any]:
    """The pending request ``request_id`` if the viewer sent or received it; 404 otherwise (no existence leak)."""
    parsed = parse_id(request_id)
    rows = await _sql("SELECT id, sender, recipient FROM friend_requests WHERE id = {}", parsed) if parsed else []
    if not rows or viewer_id not in (rows[0]["sender"], rows[0]["recipient"]):
        raise NotFound("There is no pending friend request with this id for you.")
    return rows[0]


async def accept_friend_request(viewer_id: uuid.UUID, request_id: str) -> Friendship:
    """Accept a request the viewer received."""
    request = await _pending_request(request_id, viewer_id)
    if request["recipient"] != viewer_id:
        raise ValidationFailed("Only the person who received a friend request can accept it.")
    async with unit_of_work():
        await _lock_users(request["sender"], viewer_id)
        view = await _accept(request["id"], sender_id=request["sender"], accepter_id=viewer_id)
    return Friendship(friend=view.sender, since=view.created_at)


async def _accept(request_id: uuid.UUID, *, sender_id: uuid.UUID, accepter_id: uuid.UUID) -> FriendRequestView:
    deleted = await _sql("DELETE FROM friend_requests WHERE id = {} RETURNING id", request_id)
    if not deleted:  # accepted or declined by a concurrent request after we looked it up
        raise NotFound("There is no pending friend request with this id for you.")
    rows = await _sql(
        """
        INSERT INTO friendships (id, owner, friend, created_at) VALUES ({}, {}, {}, now()), ({}, {}, {}, now())
        ON CONFLICT DO NOTHING RETURNING created_at
        """,
        new_id(), sender_id, accepter_id, new_id(), accepter_id, sender_id,
    )  # fmt: skip
    since = rows[0]["created_at"] if rows else datetime.now().astimezone()
    await events.emit("friend.accepted", FriendAccepted(str(request_id), str(sender_id), str(accepter_id), since))
    people = await users_by_id([sender_id, accepter_id])
    return FriendRequestView(str(request_id), people[sender_id], people[accepter_id], since, status="accepted")


async def decline_friend_request(viewer_id: uuid.UUID, request_id: str) -> None:
    """The recipient declines a request, or its sender withdraws it. Either way it is gone."""
    request = await _pending_request(request_id, viewer_id)
    await _sql("DELETE FROM friend_requests WHERE id = {}", request["id"])


async def remove_friend(viewer_id: uuid.UUID, username: str) -> None:
    """End the friendship with @username (both directions)."""
    friend = await find_user(username)
    friend_id = _other_user(viewer_id, friend, "unfriend")
    async with unit_of_work():
        removed = await _remove_friendship(viewer_id, friend_id)
        if not removed:
            raise NotFound(f"You and @{friend['username']} are not friends.")
        await events.emit("friend.removed", FriendRemoved(str(viewer_id), str(friend_id)))


async def _remove_friendship(a: uuid.UUID, b: uuid.UUID) -> bool:
    rows = await _sql(
        "DELETE FROM friendships WHERE (owner = {} AND friend = {}) OR (owner = {} AND friend = {}) RETURNING id",
        a, b, b, a,
    )  # fmt: skip
    return bool(rows)


async def _are_friends(a: uuid.UUID, b: uuid.UUID) -> bool:
    return bool(await _sql("SELECT 1 FROM friendships WHERE owner = {} AND friend = {}", a, b))


async def friends(viewer_id: uuid.UUID, cursor: str | None, limit: int) -> Page[Friendship]:
    page = await _relationship_page("friendships", "owner", "friend", viewer_id, viewer_id, cursor, limit)
    items = [Friendship(friend=entry.user, since=entry.since) for entry in page.items]
    return Page(items=items, next_cursor=page.next_cursor)


async def friends_count(user_id: uuid.UUID) -> int:
    rows = await _sql("SELECT count(*) AS n FROM friendships WHERE owner = {}", user_id)
    return int(rows[0]["n"])


# Blocks and mutes --------------------------------------------------------------------------------------------------


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


async def relationship(viewer_id: uuid.UUID, username: str) -> Relationship:
    """The viewer's standing with ``username`` in one query. Someone who blocked the viewer does not exist (404)."""
    user = await find_user(username)
    rows = await _sql(
        """
        WITH pair AS (SELECT {}::uuid AS viewer, {}::uuid AS other)
        SELECT
          EXISTS (SELECT 1 FROM follows WHERE follower = viewer AND followee = other) AS following,
          EXISTS (SELECT 1 FROM follows WHERE follower = other AND followee = viewer) AS followed_by,
          EXISTS (SELECT 1 FROM friendships WHERE owner = viewer AND friend = other) AS friends,
          (SELECT id FROM friend_requests WHERE sender = other AND recipient = viewer) AS incoming,
          (SELECT id FROM friend_requests WHERE sender = viewer AND recipient = other) AS outgoing,
          EXISTS (SELECT 1 FROM blocks WHERE blocker = viewer AND blocked = other) AS blocking,
          EXISTS (SELECT 1 FROM blocks WHERE blocker = other AND blocked = viewer) AS blocked_by,
          EXISTS (SELECT 1 FROM mutes WHERE muter = viewer AND muted = other) AS muting
        FROM pair
        """,
        viewer_id,
        user["id"],
    )
    row = rows[0]
    if row["blocked_by"]:
        raise NotFound(f"There is no user called @{username}.")
    return Relationship(
        following=row["following"],
        followed_by=row["followed_by"],
        friends=row["friends"],
        incoming_friend_request_id=str(row["incoming"]) if row["incoming"] else None,
        outgoing_friend_request_id=str(row["outgoing"]) if row["outgoing"] else None,
        blocking=row["blocking"],
        muting=row["muting"],
    )
