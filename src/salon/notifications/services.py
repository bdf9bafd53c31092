# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""Notification rules: who is told what, grouping, withdrawal on undo, the read marker.

Called from domain-event subscribers in the worker (``jobs.py``), so everything here is idempotent: a retried job
adds an actor that is already there (nothing changes, nothing is announced) or withdraws one that is already gone.

Never notified: the actor themself, a recipient with a block between them and the actor, a recipient who muted the
actor, and a recipient who may not see the post the notification is about.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from salon.lib import events
from salon.lib.db import unit_of_work
from salon.lib.errors import ValidationFailed
from salon.lib.ids import new_id, parse_id, require_id
from salon.lib.pagination import Page, decode_cursor, split_page
from salon.notifications.events import NotificationEvent, NotificationsRead, NotificationWithdrawn
from salon.notifications.schemas import NOTIFICATION_TYPES, NotificationView, UnreadCount
from salon.notifications.tables import Notification
from salon.social import services as social

LATEST_ACTORS = 3
# Reminders about the recipient's own goal, and moderation outcomes (moderators stay anonymous), name them as actor.
SELF_ADDRESSED_TYPES = frozenset({"goal_nudge", "moderation", "report_outcome"})
NOTIFICATION_COLUMNS = "id, type, group_key, activity_id, actor_count, post_id, created_at, updated_at, open"


@dataclass(frozen=True)
class Activity:
    """Something ``actor`` did that ``recipient`` may hear about. ``visibility`` is set when it is a post they must be
    allowed to see (a reply, quote or mention written by the actor)."""

    type: str
    recipient: str
    actor: str
    group_key: str
    post_id: str | None = None
    visibility: str | None = None
    at: datetime | None = None  # when the actor acted (orders the latest actors); default: when this runs


async def _sql(query: str, *args: Any) -> list[dict[str, Any]]:
    return await Notification.raw(query, *args)


# Creating and withdrawing --------------------------------------------------------------------------------------


async def notify(activity: Activity) -> None:
    """Add ``activity`` to the recipient's open group for it (or a new group) and announce the group."""
    own_action = activity.actor == activity.recipient and activity.type not in SELF_ADDRESSED_TYPES
    if own_action or not await _may_notify(activity):
        return
    recipient, actor = uuid.UUID(activity.recipient), uuid.UUID(activity.actor)
    async with unit_of_work():
        group = await _sql(
            "INSERT INTO notifications (id, recipient, type, group_key, activity_id, open, actor_count, post_id, "
            "created_at, updated_at) VALUES ({}, {}, {}, {}, {}, true, 0, {}, now(), now()) "
            "ON CONFLICT (recipient, group_key) WHERE open DO UPDATE SET open = true RETURNING id",
            new_id(), recipient, activity.type, activity.group_key, new_id(), parse_id(activity.post_id or ""),
        )  # fmt: skip
        group_id = group[0]["id"]
        added = await _sql(
            "INSERT INTO notification_actors (id, notification, actor, created_at) "
            "VALUES ({}, {}, {}, coalesce({}::timestamptz, now())) ON CONFLICT (notification, actor) DO NOTHING "
            "RETURNING id",
            new_id(), group_id, actor, activity.at,
        )  # fmt: skip
        if not added:
            return  # a retried job, or the same actor again: nothing new to say
        await _sql(
            "UPDATE notifications SET actor_count = actor_count + 1, activity_id = {}, updated_at = now() "
            "WHERE id = {}",
            new_id(), group_id,
        )  # fmt: skip
        await _announce(recipient, group_id)


async def withdraw(*, recipient: str, actor: str, group_key: str) -> None:
    """Undo (unlike, unfollow ...): take the actor out of the recipient's unread group; drop the group if empty."""
    recipient_id = uuid.UUID(recipient)
    async with unit_of_work():
        removed = await _sql(
            "DELETE FROM notification_actors a USING notifications n WHERE a.notification = n.id "
            "AND n.recipient = {} AND n.group_key = {} AND n.open AND a.actor = {} RETURNING n.id",
            recipient_id, group_key, uuid.UUID(actor),
        )  # fmt: skip
        if not removed:
            return
        group_id = removed[0]["id"]
        left = await _sql(
            "UPDATE notifications SET actor_count = actor_count - 1 WHERE id = {} RETURNING actor_count", group_id
        )
        if left[0]["actor_count"] > 0:
            await _announce(recipient_id, group_id)
            return
        await _sql("DELETE FROM notifications WHERE id = {}", group_id)
        count = await _unread_count(recipient_id)
        await events.publish(
            "notification.withdrawn",
            NotificationWithdrawn(id=str(group_id), group_key=group_key, unread_count=count),
            [recipient],
        )


async def withdraw_about_post(post_id: str) -> None:
    """The post is gone: its notifications go too (read or not), for every recipient."""
    parsed = parse_id(post_id)
    if parsed is not None:
        async with unit_of_work():
            await _sql("DELETE FROM notifications WHERE post_id = {}", parsed)


async def _may_notify(activity: Activity) -> bool:
    recipient, actor = uuid.UUID(activity.recipient), uuid.UUID(activity.actor)
    if actor in await social.muted_user_ids(recipient):
        return False
    relation = (await social.relations(recipient, [actor])).get(actor)
    if relation is None or relation.blocked:
        return False
    if activity.visibility is not None:
        return social.can_see(recipient, actor, activity.visibility, relation)
    return True


async def _announce(recipient: uuid.UUID, group_id: uuid.UUID) -> None:
    views = await _views(await _sql(f"SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE id = {{}}", group_id))
    count = await _unread_count(recipient)
    await events.publish("notification", NotificationEvent(notification=views[0], unread_count=count), [str(recipient)])


# Reading -------------------------------------------------------------------------------------------------------


async def list_notifications(
    user_id: uuid.UUID, *, types: list[str], cursor: str | None, limit: int
) -> Page[NotificationView]:
    """The user's notifications, newest activity first (three queries whatever the page size)."""
    unknown = sorted(set(types) - set(NOTIFICATION_TYPES))
    if unknown:
        raise ValidationFailed(
            f"Unknown notification type(s): {', '.join(unknown)}. Known types: {', '.join(NOTIFICATION_TYPES)}.",
            extra={"invalid_types": unknown},
        )
    after = decode_cursor(cursor, uuid.UUID)
    rows = await _sql(
        f"SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE recipient = {{}} "
        "AND (cardinality({}::text[]) = 0 OR type = ANY({}::text[])) AND ({}::uuid IS NULL OR activity_id < {}) "
        "ORDER BY activity_id DESC LIMIT {}",
        user_id, types, types, after[0] if after else None, after[0] if after else None, limit + 1,
    )  # fmt: skip
    rows, next_cursor = split_page(rows, limit, key=lambda row: (str(row["activity_id"]),))
    return Page(items=await _views(rows), next_cursor=next_cursor)


async def unread_count(user_id: uuid.UUID) -> UnreadCount:
    return UnreadCount(count=await _unread_count(user_id))


async def _unread_count(user_id: uuid.UUID) -> int:
    rows = await _sql("SELECT count(*) AS count FROM notifications WHERE recipient = {} AND open", user_id)
    return int(rows[0]["count"])


async def mark_read(user_id: uuid.UUID, up_to_id: str) -> UnreadCount:
    """Move the read marker forward to ``up_to_id`` (never back, never past the newest notification); every
    device of the user is told with a ``notifications.read`` event."""
    up_to = "up_to_id must be the id of a notification (from GET /api/v1/notifications)."
    target = require_id(up_to_id, lambda: ValidationFailed(up_to))
    async with unit_of_work():
        newest = await _sql(
            "SELECT activity_id FROM notifications WHERE recipient = {} ORDER BY activity_id DESC LIMIT 1", user_id
        )
        if not newest:
            return UnreadCount(count=0)
        marker = min(target, newest[0]["activity_id"])
        stored = await _sql(
            "INSERT INTO notification_markers (owner, last_read_id, updated_at) VALUES ({}, {}, now()) "
            "ON CONFLICT (owner) DO UPDATE SET last_read_id = GREATEST(notification_markers.last_read_id, "
            "EXCLUDED.last_read_id), updated_at = now() RETURNING last_read_id",
            user_id, marker,
        )  # fmt: skip
        last_read = stored[0]["last_read_id"]
        await _sql(
            "UPDATE notifications SET open = false WHERE recipient = {} AND open AND activity_id <= {}",
            user_id, last_read,
        )  # fmt: skip
        count = await _unread_count(user_id)
        await events.publish(
            "notifications.read", NotificationsRead(up_to_id=str(last_read), unread_count=count), [str(user_id)]
        )
    return UnreadCount(count=count)


async def _views(rows: list[dict[str, Any]]) -> list[NotificationView]:
    """Hydrate notification rows with their latest actors (two queries for any number of rows)."""
    if not rows:
        return []
    actor_rows = await _sql(
        "SELECT notification, actor FROM (SELECT notification, actor, created_at, row_number() OVER "
        "(PARTITION BY notification ORDER BY created_at DESC, id DESC) AS rank FROM notification_actors "
        "WHERE notification = ANY({}::uuid[])) latest WHERE rank <= {} ORDER BY notification, created_at DESC",
        [row["id"] for row in rows], LATEST_ACTORS,
    )  # fmt: skip
    users = await social.users_by_id(row["actor"] for row in actor_rows)
    actors: dict[uuid.UUID, list[Any]] = {}
    for row in actor_rows:
        if row["actor"] in users:
            actors.setdefault(row["notification"], []).append(users[row["actor"]])
    return [
        NotificationView(
            id=str(row["activity_id"]),
            group_key=row["group_key"],
            type=row["type"],
            actors=actors.get(row["id"], []),
            actor_count=row["actor_count"],
            post_id=str(row["post_id"]) if row["post_id"] else None,
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            read=not row["open"],
        )
        for row in rows
    ]
