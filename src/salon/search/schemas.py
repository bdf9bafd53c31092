"""The search API contract. Results are tagged by ``type`` (``post``, ``user``, ``hashtag``)."""

from __future__ import annotations

from typing import Literal

import msgspec

SearchType = Literal["posts", "users", "hashtags"]


class UserResult(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag="user"):
    """A user found by name (the fields of ``UserSummary``)."""

    id: str
    username: str
    display_name: str
    avatar_media_id: str | None


class HashtagResult(msgspec.Struct, frozen=True, tag_field="type", tag="hashtag"):
    """A hashtag starting with the query, and how many live public posts use it."""

    tag: str
    posts_count: int
