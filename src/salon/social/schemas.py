"""The social API contract (msgspec Structs, snake_case, ids as strings)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from salon.lib.schemas import RequestBody


class UserSummary(msgspec.Struct, frozen=True):
    """How a user appears inside other objects (post authors, follower lists ...)."""

    id: str
    username: str
    display_name: str
    avatar_media_id: str | None


class RelationshipEntry(msgspec.Struct, frozen=True):
    """A user in a follower / following / friend list, with when the relationship began."""

    user: UserSummary
    since: datetime


class FollowState(msgspec.Struct, frozen=True):
    following: bool
    followers_count: int


class Relationship(msgspec.Struct, frozen=True):
    """How the signed-in viewer stands with another user (what a profile page needs for its buttons)."""

    following: bool
    followed_by: bool
    friends: bool
    incoming_friend_request_id: str | None
    outgoing_friend_request_id: str | None
    blocking: bool
    muting: bool


class BlockState(msgspec.Struct, frozen=True):
    blocking: bool


class MuteState(msgspec.Struct, frozen=True):
    muting: bool


class FriendRequestCreate(RequestBody):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="who to ask")]


class FriendRequestView(msgspec.Struct, frozen=True):
    """``status`` is ``pending`` for a new request, or ``accepted`` when it met a request the other way."""

    id: str
    sender: UserSummary
    recipient: UserSummary
    created_at: datetime
    status: Literal["pending", "accepted"] = "pending"


class Friendship(msgspec.Struct, frozen=True):
    friend: UserSummary
    since: datetime


class BlockedUser(msgspec.Struct, frozen=True):
    """A user in the viewer's own list of blocked accounts."""

    user: UserSummary
    blocked_at: datetime


class MutedUser(msgspec.Struct, frozen=True):
    """A user in the viewer's own list of muted accounts."""

    user: UserSummary
    muted_at: datetime
