"""Reading AI rows and presenting them: the queries every ai service shares, and row -> schema conversion."""

from __future__ import annotations

import uuid
from typing import Any

from salon.ai import schemas
from salon.ai.tables import Conversation, Message
from salon.lib.errors import NotFound
from salon.lib.ids import parse_id

TERMINAL_STATUSES = ("complete", "stopped", "failed")


def conversation_not_found() -> NotFound:
    return NotFound(
        "No such conversation (or it is not yours). Check the id; conversations are private to their owner."
    )


def message_not_found() -> NotFound:
    return NotFound("No such message in this conversation.")


async def owned_conversation(conversation_id: str, owner_id: str) -> dict[str, Any]:
    """The conversation row when ``owner_id`` owns it; 404 otherwise (a stranger cannot tell it exists)."""
    parsed = parse_id(conversation_id)
    if parsed is None:
        raise conversation_not_found()
    row = await Conversation.select().where((Conversation.id == parsed) & (Conversation.owner == owner_id)).first()
    if row is None:
        raise conversation_not_found()
    return row


async def conversation_by_id(conversation_id: uuid.UUID) -> dict[str, Any] | None:
    return await Conversation.select().where(Conversation.id == conversation_id).first()


async def message_in(conversation_id: uuid.UUID, message_id: str) -> dict[str, Any]:
    parsed = parse_id(message_id)
    if parsed is None:
        raise message_not_found()
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
