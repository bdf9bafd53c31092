"""Reading AI rows and presenting them: the queries every ai service shares, and row -> schema conversion."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from salon.ai import schemas
from salon.ai.tables import Conversation, Message
from salon.lib.errors import NotFound
from salon.lib.ids import require_id

TERMINAL_STATUSES = ("complete", "stopped", "failed")


def conversation_not_found() -> NotFound:
    return NotFound(
        "No such conversation (or it is not yours). Check the id; conversations are private to their owner."
    )


def message_not_found() -> NotFound:
    return NotFound("No such message in this conversation.")


async def owned_conversation(conversation_id: str, owner_id: str) -> dict[str, Any]:
    """The conversation row when ``owner_id`` owns it; 404 otherwise (a stranger cannot tell it exists)."""
    parsed = require_id(conversation_id, conversation_not_found)
    row = await Conversation.select().where((Conversation.id == parsed) & (Conversation.owner == owner_id)).first()
    if row is None:
        raise conversation_not_found()
    return row


# The conversation a reply is about to be sent in, with what starting it needs to know, in one round trip: the
# owner's tokens today (the budget check) and the replies still marked streaming (abandoned ones are settled first).
_FOR_REPLY = """
SELECT c.*,
       COALESCE((SELECT u.total_tokens FROM ai_usage_days u WHERE u.owner = c.owner AND u.day = {}), 0)
           AS tokens_today,
       ARRAY(SELECT m.id FROM ai_messages m WHERE m.conversation = c.id AND m.status = 'streaming')
           AS streaming_ids
FROM ai_conversations c
WHERE c.id = {} AND c.owner = {}
"""


async def owned_conversation_for_reply(
    conversation_id: str, owner_id: str, day: date
) -> tuple[dict[str, Any], int, list[uuid.UUID]]:
    """``owned_conversation`` (404 alike), with the owner's tokens on ``day`` and the ids of the conversation's
    messages still ``streaming``."""
    rows = await Conversation.raw(_FOR_REPLY, day, require_id(conversation_id, conversation_not_found), owner_id)
    if not rows:
        raise conversation_not_found()
    row = rows[0]
    return row, row.pop("tokens_today"), row.pop("streaming_ids")


async def conversation_by_id(conversation_id: uuid.UUID) -> dict[str, Any] | None:
    return await Conversation.select().where(Conversation.id == conversation_id).first()


async def message_in(conversation_id: uuid.UUID, message_id: str) -> dict[str, Any]:
    parsed = require_id(message_id, message_not_found)
    row = await Message.select().where((Message.id == parsed) & (Message.conversation == conversation_id)).first()
    if row is None:
        raise message_not_found()
    return row


async def message_by_id(message_id: uuid.UUID) -> dict[str, Any] | None:
    return await Message.select().where(Message.id == message_id).first()


def to_conversation(row: dict[str, Any], generating_message_id: str | None = None) -> schemas.Conversation:
    forked = None
    if row["forked_from_conversation"] is not None:
        forked = schemas.ForkedFrom(
            conversation_id=str(row["forked_from_conversation"]),
            message_id=str(row["forked_from_message"]),
            post_id=str(row["forked_from_post"]) if row["forked_from_post"] else None,
        )
    return schemas.Conversation(
        id=str(row["id"]),
        kind=row["kind"],
        title=row["title"],
        system_prompt=row["system_prompt"],
        message_count=row["message_count"],
        forked_from=forked,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        generating_message_id=generating_message_id,
    )


def to_message(row: dict[str, Any]) -> schemas.Message:
    is_model = row["role"] == "model"
    usage = None
    if is_model and row["status"] != "streaming":
        usage = schemas.Usage(
            prompt_tokens=row["prompt_tokens"], output_tokens=row["output_tokens"], total_tokens=row["total_tokens"]
        )
    error = None
    if row["error_code"]:
        error = schemas.MessageError(code=row["error_code"], detail=row["error_detail"] or "")
    return schemas.Message(
        id=str(row["id"]),
        conversation_id=str(row["conversation"]),
        seq=row["seq"],
        role=row["role"],
        content=row["content"],
        status=row["status"],
        created_at=row["created_at"],
        completed_at=row["completed_at"],
        error=error,
        usage=usage,
        first_token_ms=row["first_token_ms"],
    )
