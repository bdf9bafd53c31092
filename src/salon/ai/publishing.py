"""Publishing a conversation as a post of kind ``conversation`` (needs the social core, issue #4)."""

from __future__ import annotations

from salon.ai import store
from salon.lib.auth import Viewer
from salon.lib.errors import AppError


class NotBuiltYet(AppError):
    status_code = 501
    title = "Not implemented"


POSTS_MISSING = (
    "Publishing AI conversations is not available yet: it needs the posts service of the social core (a "
    "salon.posts.services entry point that creates a post of kind 'conversation' with an attached snapshot)."
)


async def publish(viewer: Viewer, conversation_id: str) -> None:
    await store.owned_conversation(conversation_id, viewer.id)
    raise NotBuiltYet(POSTS_MISSING, extra={"code": "not_implemented"})


async def shared(viewer: Viewer | None, post_id: str) -> None:
    raise NotBuiltYet(POSTS_MISSING, extra={"code": "not_implemented"})
