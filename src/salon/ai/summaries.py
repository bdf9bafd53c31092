"""Summaries the owner asks for: written by the model from the conversation, stored with it, listed newest first."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from salon.ai import context, quota, schemas, store
from salon.ai.provider import SUMMARY_TASK, ProviderError, Turn, get_provider
from salon.ai.tables import ConversationSummary, Message
from salon.lib.auth import Viewer
from salon.lib.db import unit_of_work
from salon.lib.errors import AppError, ValidationFailed
from salon.lib.pagination import Page, decode_cursor, split_page
from salon.settings import Settings

SUMMARY_INSTRUCTIONS = (
    f"{SUMMARY_TASK} Summarise this conversation between a user and an AI for someone who has not read it: what was "
    "asked, the key ideas and conclusions. Plain prose, at most 120 words, no preamble."
)
MAX_OUTPUT_TOKENS = 400


class ProviderUnavailable(AppError):
    status_code = 503
    title = "The AI model is unavailable"


async def create_summary(viewer: Viewer, conversation_id: str, settings: Settings) -> schemas.Summary:
    """Ask the model for a summary of every finished message and store it (returned once written)."""
    conversation = await store.owned_conversation(conversation_id, viewer.id)
    await quota.ensure_within_budget(viewer.id, settings)
    rows = await transcript_rows(conversation["id"], settings.ai_context_token_budget)
    if not rows:
        raise ValidationFailed("There is nothing to summarise yet: send a message first.", extra={"code": "empty"})
    transcript = "\n".join(f"{'User' if row['role'] == 'user' else 'AI'}: {row['content']}" for row in rows)
    provider = await get_provider()
    try:
        text, usage = await provider.complete(
            [Turn(role="user", text=transcript)], system=SUMMARY_INSTRUCTIONS, max_tokens=MAX_OUTPUT_TOKENS
        )
    except ProviderError as exc:
        raise ProviderUnavailable(
            f"The model could not write the summary: {exc.detail}",
            extra={"code": exc.code, "retryable": exc.retryable},
        ) from exc
    async with unit_of_work():
        await quota.record(viewer.id, usage)
        inserted = await ConversationSummary.insert(
            ConversationSummary(
                conversation=conversation["id"], content=text, up_to_seq=rows[-1]["seq"],
                prompt_tokens=usage.prompt_tokens, output_tokens=usage.output_tokens,
            )
        ).returning(*ConversationSummary.all_columns())  # fmt: skip
    return to_summary(inserted[0])


async def transcript_rows(conversation_id: uuid.UUID, budget: int) -> list[dict[str, Any]]:
    """The newest finished messages that fit ``budget`` tokens, oldest first."""
    newest_first = await (
        Message.select(Message.seq, Message.role, Message.content, Message.output_tokens)
        .where((Message.conversation == conversation_id) & (Message.status != "streaming") & (Message.content != ""))
        .order_by(Message.seq, ascending=False)
        .limit(context.HISTORY_FETCH_LIMIT)
    )
    kept, _ = context.fit_to_budget(newest_first, budget)
    return kept


async def list_summaries(viewer: Viewer, conversation_id: str, cursor: str | None, limit: int) -> Page[schemas.Summary]:
    conversation = await store.owned_conversation(conversation_id, viewer.id)
    query = ConversationSummary.select().where(ConversationSummary.conversation == conversation["id"])
    after = decode_cursor(cursor, uuid.UUID)
    if after is not None:
        query = query.where(ConversationSummary.id < after[0])
    rows = await query.order_by(ConversationSummary.id, ascending=False).limit(limit + 1)
    rows, next_cursor = split_page(rows, limit, lambda row: (str(row["id"]),))
    return Page(items=[to_summary(row) for row in rows], next_cursor=next_cursor)


async def summary_of(conversation_id: uuid.UUID, summary_id: uuid.UUID) -> dict[str, Any] | None:
    return (
        await ConversationSummary.select()
        .where((ConversationSummary.id == summary_id) & (ConversationSummary.conversation == conversation_id))
        .first()
    )


def to_summary(row: dict[str, Any]) -> schemas.Summary:
    created: datetime = row["created_at"]
    return schemas.Summary(
        id=str(row["id"]), conversation_id=str(row["conversation"]), content=row["content"],
        up_to_seq=row["up_to_seq"], created_at=created,
    )  # fmt: skip
