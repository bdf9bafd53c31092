"""The feed API contract: home feed items and pages, feedback, trending hashtags."""

from __future__ import annotations

from typing import Literal

import msgspec

from salon.lib.schemas import RequestBody
from salon.posts.schemas import PostId, PostView
from salon.social.schemas import UserSummary

Algorithm = Literal["chronological", "engagement", "ranked"]
ALGORITHMS: tuple[Algorithm, ...] = ("chronological", "engagement", "ranked")
DEFAULT_ALGORITHM: Algorithm = "ranked"


class FeedItem(msgspec.Struct, frozen=True):
    """A post in the home feed and why it is there: ``own`` (yours), ``followed`` (you follow the author),
    ``friend`` (a friends-only post of a friend) or ``repost`` (``reposted_by`` someone you follow, or you)."""

    post: PostView
    reason: Literal["own", "followed", "friend", "repost"]
    reposted_by: UserSummary | None = None


class FeedPage(msgspec.Struct, frozen=True):
    items: list[FeedItem]
    next_cursor: str | None
    algorithm: Algorithm


class Feedback(RequestBody):
    post_id: PostId
    signal: Literal["show_more", "show_less", "seen"]


class TrendingHashtag(msgspec.Struct, frozen=True):
    """``score``: time-decayed uses, counting each author once (their latest use). ``posts_count`` and
    ``authors_count`` cover the trending window."""

    tag: str
    score: float
    posts_count: int
    authors_count: int


class TrendingHashtags(msgspec.Struct, frozen=True):
    items: list[TrendingHashtag]
    computed_at: str | None = None
