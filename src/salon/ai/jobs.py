"""AI jobs (run in the worker): conversation titles and the rolling context summary."""

from __future__ import annotations

import uuid
from typing import Any

from salon.ai import context, titles
from salon.lib.jobs import job
from salon.settings import get_settings


@job(timeout=90, retries=3, retry_delay=2.0)
async def title_conversation(ctx: dict[str, Any], *, conversation_id: str) -> None:
    """After the first exchange: ask the model for a short title (unless the owner chose one), tell the owner."""
    await titles.title_conversation(uuid.UUID(conversation_id))


@job(timeout=120, retries=3, retry_delay=2.0)
async def roll_context_summary(ctx: dict[str, Any], *, conversation_id: str) -> None:
    """Fold turns that no longer fit the context budget into the conversation's rolling summary."""
    await context.roll_summary(uuid.UUID(conversation_id), get_settings().ai_context_token_budget)
