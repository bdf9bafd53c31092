"""The notifications API contract (msgspec Structs; ids are strings)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from salon.social.schemas import UserSummary

NotificationType = Literal[
    "like", "repost", "quote", "reply", "mention", "follow", "friend_request", "friend_accept",
    "goal_invite", "goal_completed", "goal_nudge", "ai_fork", "message", "moderation", "report_outcome",
]  # fmt: skip
NOTIFICATION_TYPES: tuple[str, ...] = NotificationType.__args__  # type: ignore[attr-defined]


class NotificationView(msgspec.Struct, frozen=True):
    """One notification group: ``actors`` are the latest (up to 3) of ``actor_count`` people who did ``type``."""

    id: str  # changes when the group gains an actor; use it for ``up_to_id`` and to order
    group_key: str  # stable for the group while it is unread (e.g. "like:<post id>")
    type: NotificationType
    actors: list[UserSummary]
    actor_count: int
    post_id: str | None
    created_at: datetime
    updated_at: datetime
    read: bool


class UnreadCount(msgspec.Struct, frozen=True):
    count: int


class MarkRead(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    up_to_id: str
