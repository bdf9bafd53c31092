"""Messages the model writes on its own initiative, outside a reply to the user (the goals coach's nudges).

An entry point for other packages: they produce the text with the provider (accounting its usage with
``salon.ai.quota``) and append it here as a complete ``model`` message.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from salon.ai import schemas, store
from salon.ai.provider import Usage
from salon.ai.tables import Conversation, Message
from salon.lib.db import unit_of_work
from salon.lib.ids import new_id


async def add_model_message(conversation_id: uuid.UUID, content: str, usage: Usage) -> schemas.Message:
    """Append a complete model message after the conversation's last one. Taking the next ``seq`` in the
    conversation's UPDATE serialises it with a user sending a message at the same moment."""
    now = datetime.now(tz=UTC)
    async with unit_of_work():
        conversations = (
            await Conversation.update(
                {Conversation.message_count: Conversation.message_count + 1, Conversation.updated_at: now}
            )
            .where(Conversation.id == conversation_id)
            .returning(Conversation.message_count)
        )
        if not conversations:
            raise store.conversation_not_found()
        rows = await Message.insert(
            Message(id=new_id(), conversation=conversation_id, seq=conversations[0]["message_count"], role="model",
                    content=content, status="complete", prompt_tokens=usage.prompt_tokens,
                    output_tokens=usage.output_tokens, total_tokens=usage.total_tokens, created_at=now,
                    completed_at=now),
        ).returning(*Message.all_columns())  # fmt: skip
    return store.to_message(rows[0])
