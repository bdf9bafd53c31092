# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""Friend requests and friendships: a symmetric relationship made by request and acceptance.

A friendship is two rows (one per direction); pending requests are rows that accepting or declining deletes. Like
follows, operations on a pair of users lock both user rows in id order first (``services.lock_users``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from salon.lib import events
from salon.lib.db import unit_of_work
from salon.lib.errors import Conflict, NotFound, ValidationFailed
from salon.lib.ids import new_id, parse_id
from salon.lib.pagination import Page, decode_cursor, split_page
from salon.social.events import FriendAccepted, FriendRemoved, FriendRequested
from salon.social.schemas import FriendRequestView, Friendship
from salon.social.services import lock_users, other_user, reachable_user, relationship_page, sql
from salon.social.visibility import find_user, users_by_id


async def send_friend_request(viewer_id: uuid.UUID, username: str) -> tuple[FriendRequestView, bool]:
    """Ask @username to be friends. Returns ``(request, created)``.

    Asking again while a request is pending returns the pending request. When @username has already asked the
    viewer, this accepts their request instead (both wanted it).
    """
    target, target_id = await reachable_user(viewer_id, username, "befriend")
    async with unit_of_work():
        await lock_users(viewer_id, target_id)
        if await _are_friends(viewer_id, target_id):
            raise Conflict(f"You and @{target['username']} are already friends.")
        reverse = await sql("SELECT id FROM friend_requests WHERE sender = {} AND recipient = {}", target_id, viewer_id)
        if reverse:
            return await _accept(reverse[0]["id"], sender_id=target_id, accepter_id=viewer_id), True
        rows = await sql(
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
            existing = await sql(
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
    rows = await sql(
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
    rows = await sql("SELECT id, sender, recipient FROM friend_requests WHERE id = {}", parsed) if parsed else []
    if not rows or viewer_id not in (rows[0]["sender"], rows[0]["recipient"]):
        raise NotFound("There is no pending friend request with this id for you.")
    return rows[0]


async def accept_friend_request(viewer_id: uuid.UUID, request_id: str) -> Friendship:
    """Accept a request the viewer received."""
    request = await _pending_request(request_id, viewer_id)
    if request["recipient"] != viewer_id:
        raise ValidationFailed("Only the person who received a friend request can accept it.")
    async with unit_of_work():
        await lock_users(request["sender"], viewer_id)
        view = await _accept(request["id"], sender_id=request["sender"], accepter_id=viewer_id)
    return Friendship(friend=view.sender, since=view.created_at)


async def _accept(request_id: uuid.UUID, *, sender_id: uuid.UUID, accepter_id: uuid.UUID) -> FriendRequestView:
    deleted = await sql("DELETE FROM friend_requests WHERE id = {} RETURNING id", request_id)
    if not deleted:  # accepted or declined by a concurrent request after we looked it up
        raise NotFound("There is no pending friend request with this id for you.")
    rows = await sql(
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
    await sql("DELETE FROM friend_requests WHERE id = {}", request["id"])


async def remove_friend(viewer_id: uuid.UUID, username: str) -> None:
    """End the friendship with @username (both directions)."""
    friend = await find_user(username)
    friend_id = other_user(viewer_id, friend, "unfriend")
    async with unit_of_work():
        removed = await remove_friendship(viewer_id, friend_id)
        if not removed:
            raise NotFound(f"You and @{friend['username']} are not friends.")
        await events.emit("friend.removed", FriendRemoved(str(viewer_id), str(friend_id)))


async def remove_friendship(a: uuid.UUID, b: uuid.UUID) -> bool:
    rows = await sql(
        "DELETE FROM friendships WHERE (owner = {} AND friend = {}) OR (owner = {} AND friend = {}) RETURNING id",
        a, b, b, a,
    )  # fmt: skip
    return bool(rows)


async def _are_friends(a: uuid.UUID, b: uuid.UUID) -> bool:
    return bool(await sql("SELECT 1 FROM friendships WHERE owner = {} AND friend = {}", a, b))


async def friends(viewer_id: uuid.UUID, cursor: str | None, limit: int) -> Page[Friendship]:
    page = await relationship_page("friendships", "owner", "friend", viewer_id, viewer_id, cursor, limit)
    items = [Friendship(friend=entry.user, since=entry.since) for entry in page.items]
    return Page(items=items, next_cursor=page.next_cursor)


async def friends_count(user_id: uuid.UUID) -> int:
    rows = await sql("SELECT count(*) AS n FROM friendships WHERE owner = {}", user_id)
    return int(rows[0]["n"])
