"""Client-facing notification events (published to the recipient's event stream; see docs/api.md)."""

from __future__ import annotations

import msgspec

from salon.lib.events import event_type
from salon.notifications.schemas import NotificationView


@event_type("notification")
class NotificationEvent(msgspec.Struct, frozen=True):
    """A new notification, or a group that gained (or lost) an actor: replace any with the same ``group_key``."""

    notification: NotificationView
    unread_count: int


@event_type("notification.withdrawn")
class NotificationWithdrawn(msgspec.Struct, frozen=True):
    """The action was undone before the recipient read it (e.g. an unlike): drop this notification."""

    id: str
    group_key: str
    unread_count: int


@event_type("notifications.read")
class NotificationsRead(msgspec.Struct, frozen=True):
    """The read marker moved (on any device of the user): everything up to ``up_to_id`` is read."""

    up_to_id: str
    unread_count: int
