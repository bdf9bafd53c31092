"""Relationships between users. Every table has a UUIDv7 ``id`` so lists page by keyset in creation order."""

from __future__ import annotations

from piccolo.columns import UUID, ForeignKey, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table

from salon.accounts.tables import User
from salon.lib.ids import new_id


class Follow(Table, tablename="follows"):
    """``follower`` follows ``followee`` (asymmetric)."""

    id = UUID(primary_key=True, default=new_id)
    follower = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    followee = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    follows_unique_pair = Unique([follower, followee])


class FriendRequest(Table, tablename="friend_requests"):
    """A pending friend request. Accepting or declining it deletes the row."""

    id = UUID(primary_key=True, default=new_id)
    sender = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    recipient = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    friend_requests_unique_pair = Unique([sender, recipient])


class Friendship(Table, tablename="friendships"):
    """A friendship is stored as two rows (``owner`` -> ``friend`` and back) so every lookup is one index probe."""

    id = UUID(primary_key=True, default=new_id)
    owner = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    friend = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    friendships_unique_pair = Unique([owner, friend])


class Block(Table, tablename="blocks"):
    id = UUID(primary_key=True, default=new_id)
    blocker = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    blocked = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    blocks_unique_pair = Unique([blocker, blocked])


class Mute(Table, tablename="mutes"):
    id = UUID(primary_key=True, default=new_id)
    muter = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    muted = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    mutes_unique_pair = Unique([muter, muted])
