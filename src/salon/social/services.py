# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""The social graph's rules: follows and the relationship summary, and the helpers ``friends`` (friend requests and
friendships) and ``blocking`` (blocks and mutes) share.

Counters on users (``followers_count``/``following_count``) change in the same statement as the follow row that
justifies them, and only when a row was really inserted or deleted, so they are exact under concurrency and never
negative. Operations on a pair of users first lock both user rows in id order: two people following each other at the
same moment then serialise instead of deadlocking.

Who-may-see-what lives in ``salon.social.visibility`` and is re-exported here for other packages.
"""

from __future__ import annotations

import uuid
from typing import Any

from salon.accounts.tables import User
from salon.lib import events
from salon.lib.db import unit_of_work
from salon.lib.errors import Conflict, NotFound, ValidationFailed, clipped
from salon.lib.ids import new_id
from salon.lib.pagination import Page, decode_cursor, split_page
from salon.social.events import (
    UserFollowed,
    UserUnfollowed,
)
from salon.social.schemas import (
    FollowState,
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


async def sql(query: str, *args: Any) -> list[dict[str, Any]]:
    return await User.raw(query, *args)  # type: ignore[no-any-return]


async def lock_users(*user_ids: uuid.UUID) -> None:
    """Serialise changes between these users (callers lock each other out, in id order). ``FOR NO KEY UPDATE``, not
    ``FOR UPDATE``: the latter also conflicts with the ``FOR KEY SHARE`` that any insert referencing a user takes (a
    worker writing a follow notification), and a follow back while one was written deadlocked."""
    await sql("SELECT id FROM users WHERE id = ANY({}::uuid[]) ORDER BY id FOR NO KEY UPDATE", sorted(user_ids))


def other_user(viewer_id: uuid.UUID, user: dict[str, Any], action: str) -> uuid.UUID:
    if user["id"] == viewer_id:
        raise ValidationFailed(f"You cannot {action} yourself.")
    return user["id"]  # type: ignore[no-any-return]


async def reachable_user(viewer_id: uuid.UUID, username: str, action: str) -> tuple[dict[str, Any], uuid.UUID]:
    """The user the viewer wants to ``action``: 404 when they blocked the viewer (as if they did not exist), 409 when
    the viewer blocked them."""
    target = await find_user(username)
    target_id = other_user(viewer_id, target, action)
    rows = await sql(
        "SELECT blocker FROM blocks WHERE (blocker = {} AND blocked = {}) OR (blocker = {} AND blocked = {})",
        viewer_id, target_id, target_id, viewer_id,
    )  # fmt: skip
    blockers = {row["blocker"] for row in rows}
    if target_id in blockers:
        raise NotFound(f"There is no user called @{clipped(username)}.")
    if viewer_id in blockers:
        raise Conflict(f"You blocked @{target['username']}; unblock them first to {action} them.")
    return target, target_id


# Follows -----------------------------------------------------------------------------------------------------------


async def follow(viewer_id: uuid.UUID, username: str) -> FollowState:
    """Follow @username. Following someone you already follow is a no-op."""
    _, target_id = await reachable_user(viewer_id, username, "follow")
    async with unit_of_work():
        await lock_users(viewer_id, target_id)
        rows = await sql(
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
    target_id = other_user(viewer_id, target, "unfollow")
    async with unit_of_work():
        await lock_users(viewer_id, target_id)
        removed = await remove_follows("follower = {} AND followee = {}", viewer_id, target_id)
        if removed:
            await events.emit("user.unfollowed", UserUnfollowed(str(viewer_id), str(target_id)))
    return FollowState(following=False, followers_count=await _followers_count(target_id))


async def remove_follows(where: str, *args: Any) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Delete the follows matching ``where`` and decrement both counters of each, in one statement.

    One UPDATE computes both deltas per user, so a user who is follower in one deleted row and followee in another
    (mutual follows removed by a block) gets both changes.
    """
    rows = await sql(
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
    rows = await sql("SELECT followers_count FROM users WHERE id = {}", user_id)
    return int(rows[0]["followers_count"]) if rows else 0


async def followers(
    username: str, viewer_id: uuid.UUID | None, cursor: str | None, limit: int
) -> Page[RelationshipEntry]:
    """Who follows @username, newest first."""
    user = await find_visible_user(username, viewer_id)
    return await relationship_page("follows", "followee", "follower", user["id"], viewer_id, cursor, limit)


async def following(
    username: str, viewer_id: uuid.UUID | None, cursor: str | None, limit: int
) -> Page[RelationshipEntry]:
    """Whom @username follows, newest first."""
    user = await find_visible_user(username, viewer_id)
    return await relationship_page("follows", "follower", "followee", user["id"], viewer_id, cursor, limit)


async def relationship_page(
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
    rows = await sql(
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


async def relationship(viewer_id: uuid.UUID, username: str) -> Relationship:
    """The viewer's standing with ``username`` in one query. Someone who blocked the viewer does not exist (404)."""
    user = await find_user(username)
    rows = await sql(
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
        raise NotFound(f"There is no user called @{clipped(username)}.")
    return Relationship(
        following=row["following"],
        followed_by=row["followed_by"],
        friends=row["friends"],
        incoming_friend_request_id=str(row["incoming"]) if row["incoming"] else None,
        outgoing_friend_request_id=str(row["outgoing"]) if row["outgoing"] else None,
        blocking=row["blocking"],
        muting=row["muting"],
    )
