"""Domain events of posts (``salon.lib.events.emit``), for notifications, feed fan-out, search and AI features.

Every event carries the ids a consumer needs to act without a lookup: the actor, the user it concerns (the post's
author for likes/reposts/replies/quotes), and the post's ``visibility`` so fan-out can respect it. Consumers must still
check blocks and mutes for the recipients they pick (``salon.social.services``).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from salon.lib.events import event_type


@event_type("post.created")
class PostCreated(msgspec.Struct, frozen=True):
    post_id: str
    author_id: str
    kind: str
    visibility: str
    created_at: datetime
    reply_to_id: str | None = None
    reply_to_author_id: str | None = None
    root_id: str | None = None
    quote_of_id: str | None = None
    quote_of_author_id: str | None = None
    hashtags: list[str] = []
    mentioned_user_ids: list[str] = []


@event_type("post.updated")
class PostUpdated(msgspec.Struct, frozen=True):
    post_id: str
    author_id: str
    visibility: str
    edited_at: datetime
    hashtags: list[str] = []
    mentioned_user_ids: list[str] = []


@event_type("post.deleted")
class PostDeleted(msgspec.Struct, frozen=True):
    post_id: str
    author_id: str
    deleted_by_id: str  # the author, or the moderator who removed it
    reply_to_id: str | None = None
    quote_of_id: str | None = None


@event_type("post.replied")
class PostReplied(msgspec.Struct, frozen=True):
    """``author_id`` replied to ``reply_to_author_id``'s post ``reply_to_id`` with ``post_id``."""

    post_id: str
    author_id: str
    reply_to_id: str
    reply_to_author_id: str
    root_id: str
    visibility: str


@event_type("post.quoted")
class PostQuoted(msgspec.Struct, frozen=True):
    post_id: str
    author_id: str
    quote_of_id: str
    quote_of_author_id: str
    visibility: str


@event_type("post.liked")
class PostLiked(msgspec.Struct, frozen=True):
    post_id: str
    post_author_id: str
    actor_id: str
    visibility: str
    created_at: datetime


@event_type("post.unliked")
class PostUnliked(msgspec.Struct, frozen=True):
    post_id: str
    post_author_id: str
    actor_id: str


@event_type("post.reposted")
class PostReposted(msgspec.Struct, frozen=True):
    repost_id: str
    post_id: str
    post_author_id: str
    actor_id: str
    visibility: str
    created_at: datetime


@event_type("post.unreposted")
class PostUnreposted(msgspec.Struct, frozen=True):
    post_id: str
    post_author_id: str
    actor_id: str


@event_type("user.mentioned")
class UserMentioned(msgspec.Struct, frozen=True):
    """Emitted once per newly mentioned user who may see the post and has no block with its author."""

    post_id: str
    author_id: str
    mentioned_user_id: str
    visibility: str
