"""Conversation titles written by the model after the first exchange."""

from __future__ import annotations

import uuid

from salon.ai import quota
from salon.ai.provider import TITLE_TASK, Turn, get_provider
from salon.ai.schemas import ConversationTitled
from salon.ai.tables import Conversation, Message
from salon.lib.db import unit_of_work
from salon.lib.events import publish

TITLE_INSTRUCTIONS = (
    f"{TITLE_TASK} Write a short title (at most 6 words) for the conversation that starts with the message below. "
    "Answer with the title only: no quotes, no final period."
)
MAX_TITLE_LENGTH = 80


def clean_title(text: str) -> str:
    line = next((line for line in text.splitlines() if line.strip()), "")
    title = line.strip().strip("\"'*#`").strip().removeprefix("Title:").strip().rstrip(".")
    return title[:MAX_TITLE_LENGTH].strip()


async def title_conversation(conversation_id: uuid.UUID) -> str | None:
    """Title the conversation from its first exchange; a no-op when it already has a title. Returns the title."""
    conversation = await Conversation.select().where(Conversation.id == conversation_id).first()
    if conversation is None or conversation["title"] or conversation["title_set_by_user"]:
        return None
    first = await (
        Message.select(Message.role, Message.content)
        .where((Message.conversation == conversation_id) & (Message.seq <= 2))
        .order_by(Message.seq)
    )
    if not first:
        return None
    exchange = "\n".join(f"{'User' if row['role'] == 'user' else 'AI'}: {row['content'][:2000]}" for row in first)
    provider = await get_provider()
    text, usage = await provider.complete([Turn(role="user", text=exchange)], system=TITLE_INSTRUCTIONS, max_tokens=30)
    title = clean_title(text)
    if not title:
        return None
    async with unit_of_work():
        await quota.record(str(conversation["owner"]), usage)
        updated = (
            await Conversation.update({Conversation.title: title})
            .where(
                (Conversation.id == conversation_id)
                & (Conversation.title == "")
                & (Conversation.title_set_by_user.eq(False))
            )
            .returning(Conversation.id)
        )
        if updated:
            await publish(
                "ai.conversation_titled",
                ConversationTitled(conversation_id=str(conversation_id), title=title),
                [str(conversation["owner"])],
            )
    return title if updated else None
