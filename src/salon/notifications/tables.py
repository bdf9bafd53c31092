"""Notifications: one row per group (e.g. "likes of post P" for its author), its actors, and each user's read marker.

A group collects actors while it is unread (``open``). ``activity_id`` is a UUIDv7 renewed on each new actor: lists
are ordered by it and the read marker compares with it, so a group that gains an actor moves to the top as unread.
Marking read closes the groups it covers; the next repeat then starts a new group.
"""

from __future__ import annotations

from piccolo.columns import UUID, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table

from salon.accounts.tables import User
from salon.lib.ids import new_id


class Notification(Table, tablename="notifications"):
    id = UUID(primary_key=True, default=new_id)
    recipient = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    type = Varchar(length=32)
    group_key = Varchar(length=100)
    activity_id = UUID(default=new_id)
    open = Boolean(default=True)
    actor_count = Integer(default=0)
    post_id = UUID(null=True, default=None, index=True)  # the post it is about (no FK: posts may be deleted)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class NotificationActor(Table, tablename="notification_actors"):
    id = UUID(primary_key=True, default=new_id)
    notification = ForeignKey(Notification, on_delete=OnDelete.cascade, null=False)
    actor = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    notification_actors_unique_pair = Unique([notification, actor])


class NotificationMarker(Table, tablename="notification_markers"):
    """``last_read_id``: every notification whose ``activity_id`` is not greater is read."""

    owner = ForeignKey(User, on_delete=OnDelete.cascade, null=False, primary_key=True)
    last_read_id = UUID(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
