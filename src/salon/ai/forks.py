"""Fork: copy a conversation up to one message into a new conversation owned by the caller (copy-on-fork)."""

from __future__ import annotations

import uuid
from typing import Any

from salon.ai import schemas, store
from salon.ai.tables import Conversation, Message
from salon.lib.auth import Viewer
from salon.lib.db import unit_of_work
from salon.lib.errors import Conflict
from salon.lib.ids import new_id

COPY_MESSAGES = """
INSERT INTO ai_messages (id, conversation, seq, role, content, status, error_code, error_detail, prompt_tokens,
                         output_tokens, total_tokens, first_token_ms, created_at, completed_at)
SELECT uuidv7(), {}, seq, role, content, status, error_code, error_detail, prompt_tokens, output_tokens,
       total_tokens, first_token_ms, created_at, completed_at
FROM ai_messages
WHERE conversation = {} AND seq <= {}
ORDER BY seq
"""


async def fork_conversation(viewer: Viewer, conversation_id: str, message_id: str) -> schemas.Conversation:
    """New conversation for ``viewer`` holding copies of every message up to and including ``message_id``.

    The copies are independent rows: later edits, messages or deletions on either side never reach the other.
    """
    source = await store.owned_conversation(conversation_id, viewer.id)
    return await copy_up_to(source, message_id, new_owner=viewer.id)


async def copy_up_to(source: dict[str, Any], message_id: str, *, new_owner: str) -> schemas.Conversation:
    message = await store.message_in(source["id"], message_id)
    if message["status"] == "streaming":
        raise Conflict(
            "This reply is still being generated; fork once it has finished (or stop it).",
            extra={"code": "generation_in_progress"},
        )
    keeps_summary = source["context_summary_seq"] <= message["seq"]
    fork_id: uuid.UUID = new_id()
    async with unit_of_work():
        rows = await Conversation.insert(
            Conversation(
                id=fork_id,
                owner=new_owner,
                kind=source["kind"],
                title=source["title"],
                title_set_by_user=source["title_set_by_user"],
                system_prompt=source["system_prompt"],
                message_count=message["seq"],
                context_summary=source["context_summary"] if keeps_summary else "",
                context_summary_seq=source["context_summary_seq"] if keeps_summary else 0,
                forked_from_conversation=source["id"],
                forked_from_message=message["id"],
            )
        ).returning(*Conversation.all_columns())
        await Message.raw(COPY_MESSAGES, fork_id, source["id"], message["seq"])
    return store.to_conversation(rows[0])
