"""The posts API contract."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from salon.lib.schemas import RequestBody
from salon.posts.text import Entities
from salon.social.schemas import UserSummary

Visibility = Literal["public", "followers", "friends", "private"]
PostId = Annotated[str, Meta(max_length=64, description="a post id")]
# Length limits on content are checked after trimming, against SALON_POST_MAX_LENGTH (the services do it); this
# bound only stops absurd bodies early.
RawContent = Annotated[str, Meta(max_length=100_000)]


class PostCreate(RequestBody):
    content: RawContent
    visibility: Visibility = "public"
    reply_to_id: PostId | None = None
    quote_of_id: PostId | None = None
    media_ids: Annotated[list[str], Meta(max_length=4)] = []


class PostPatch(RequestBody):
    content: RawContent | UnsetType = UNSET
    visibility: Visibility | UnsetType = UNSET


class ConversationCard(msgspec.Struct, frozen=True):
    """The preview of a published AI conversation (a post of kind ``conversation``); the snapshot itself is at
    ``GET /api/v1/ai/shared/{post_id}``. ``fork_count`` counts the forks made from it."""

    title: str
    preview: str
    message_count: int
    fork_count: int = 0


class ViewerState(msgspec.Struct, frozen=True):
    liked: bool = False
    reposted: bool = False
    bookmarked: bool = False


class _PostFields(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    author: UserSummary
    content: str
    visibility: Visibility
    created_at: datetime
    edited_at: datetime | None
    reply_to_id: str | None
    quote_of_id: str | None
    root_id: str | None
    media_ids: list[str]
    entities: Entities
    like_count: int
    repost_count: int
    reply_count: int
    quote_count: int
    viewer: ViewerState
    moderation_notice: str | None = None  # set, for its author only, while the post is hidden pending review
    conversation: ConversationCard | None = None  # set for kind "conversation"


class EmbeddedPost(_PostFields, frozen=True, kw_only=True, tag_field="type", tag="post"):
    """A post shown inside another (the one replied to or quoted): its own references are ids only."""


class Tombstone(msgspec.Struct, frozen=True, tag_field="type", tag="tombstone"):
    """A post that is gone (``deleted``) or that the viewer may not see (``unavailable``)."""

    id: str
    reason: Literal["deleted", "unavailable"]


class PostView(_PostFields, frozen=True, kw_only=True, tag_field="type", tag="post"):
    reply_to: EmbeddedPost | Tombstone | None = None
    quote_of: EmbeddedPost | Tombstone | None = None


class PostVersion(msgspec.Struct, frozen=True):
    """One version of a post's text. ``replaced_at`` is null for the current version."""

    content: str
    entities: Entities
    created_at: datetime
    replaced_at: datetime | None


class ThreadContext(msgspec.Struct, frozen=True):
    """A post in its thread: ``ancestors`` from the root down (tombstones for deleted or hidden ones), and a page of
    ``descendants`` (replies at any depth, oldest first; ``reply_to_id`` places each in the tree)."""

    ancestors: list[PostView | Tombstone]
    post: PostView
    descendants: list[PostView]
    next_cursor: str | None


class Engagement(msgspec.Struct, frozen=True):
    """A user who liked or reposted a post, and when."""

    user: UserSummary
    created_at: datetime


class LikeState(msgspec.Struct, frozen=True):
    liked: bool
    like_count: int


class RepostState(msgspec.Struct, frozen=True):
    reposted: bool
    repost_count: int


class BookmarkState(msgspec.Struct, frozen=True):
    bookmarked: bool


class UserStats(msgspec.Struct, frozen=True):
    posts_count: int
    followers_count: int
    following_count: int
    friends_count: int
    likes_received: int
    reposts_received: int
    replies_received: int
    quotes_received: int
    bookmarks_count: int
    # Goals (#10): filled from salon.goals.stats
    goals_active: int = 0
    goals_completed: int = 0
    longest_streak: int = 0
    memories_shared: int = 0
