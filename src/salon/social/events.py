"""Domain events of the social graph (``salon.lib.events.emit``), for notifications and feed fan-out.

All ids are strings (UUIDs). Each event names the actor and the user it concerns, so a consumer needs no lookup to
decide whom to notify or whose feed to touch.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from salon.lib.events import event_type


@event_type("user.followed")
class UserFollowed(msgspec.Struct, frozen=True):
    follower_id: str
    followee_id: str
    created_at: datetime


@event_type("user.unfollowed")
class UserUnfollowed(msgspec.Struct, frozen=True):
    follower_id: str
    followee_id: str


@event_type("friend.requested")
class FriendRequested(msgspec.Struct, frozen=True):
    request_id: str
    sender_id: str
    recipient_id: str
    created_at: datetime


@event_type("friend.accepted")
class FriendAccepted(msgspec.Struct, frozen=True):
    """``accepter_id`` accepted the request that ``sender_id`` sent; both are now friends."""

    request_id: str
    sender_id: str
    accepter_id: str
    created_at: datetime


@event_type("friend.removed")
class FriendRemoved(msgspec.Struct, frozen=True):
    user_id: str
    former_friend_id: str


@event_type("user.blocked")
class UserBlocked(msgspec.Struct, frozen=True):
    """Follows and the friendship between the two were removed in the same transaction (no separate events)."""

    blocker_id: str
    blocked_id: str


@event_type("user.unblocked")
class UserUnblocked(msgspec.Struct, frozen=True):
    blocker_id: str
    blocked_id: str


@event_type("user.muted")
class UserMuted(msgspec.Struct, frozen=True):
    muter_id: str
    muted_id: str


@event_type("user.unmuted")
class UserUnmuted(msgspec.Struct, frozen=True):
    muter_id: str
    muted_id: str
