"""AI jobs (run in the worker): conversation titles, the rolling context summary, and unpublishing (a deleted
conversation post takes its snapshot with it)."""

from __future__ import annotations

import uuid
from typing import Any

from salon.ai import context, publishing, titles
from salon.lib.events import subscriber
from salon.lib.jobs import job
from salon.posts.events import PostDeleted
from salon.settings import get_settings


@job(timeout=90, retries=3, retry_delay=2.0)
async def title_conversation(ctx: dict[str, Any], *, conversation_id: str) -> None:
    """After the first exchange: ask the model for a short title (unless the owner chose one), tell the owner."""
    await titles.title_conversation(uuid.UUID(conversation_id))


@job(timeout=120, retries=3, retry_delay=2.0)
async def roll_context_summary(ctx: dict[str, Any], *, conversation_id: str) -> None:
    """Fold turns that no longer fit the context budget into the conversation's rolling summary."""
    settings = get_settings()
    await context.roll_summary(
        uuid.UUID(conversation_id), settings.ai_context_token_budget, settings.ai_context_max_turns
    )


@subscriber("post.deleted")
async def on_post_deleted(event: PostDeleted) -> None:
    """Unpublishing: the snapshot of a deleted conversation post is deleted (its shared URL already answers 404, as
    the post is gone); the private conversation stays."""
    await publishing.unpublish(event.post_id)
