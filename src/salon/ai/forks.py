"""Fork: copy a conversation up to one message into a new conversation owned by the caller (copy-on-fork).

Owners fork their own conversations (``fork_conversation``); anyone who may see a published conversation forks its
snapshot (``fork_shared``): the post's ``fork_count`` grows in the same transaction and ``ai.conversation_forked``
tells the author (an ``ai_fork`` notification).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from salon.ai import publishing, schemas, store
from salon.ai.events import ConversationForked
from salon.ai.tables import Conversation, Message, SharedMessage
from salon.lib import events
from salon.lib.auth import Viewer
from salon.lib.db import unit_of_work
from salon.lib.errors import Conflict, ValidationFailed
from salon.lib.ids import new_id, require_id
from salon.posts import services as posts

COPY_MESSAGES = """
INSERT INTO ai_messages (id, conversation, seq, role, content, status, error_code, error_detail, prompt_tokens,
                         output_tokens, total_tokens, first_token_ms, created_at, completed_at)
SELECT uuidv7(), {}, seq, role, content, status, error_code, error_detail, prompt_tokens, output_tokens,
       total_tokens, first_token_ms, created_at, completed_at
FROM ai_messages
WHERE conversation = {} AND seq <= {}
ORDER BY seq
"""
COPY_SNAPSHOT_MESSAGES = """
INSERT INTO ai_messages (id, conversation, seq, role, content, status, output_tokens, total_tokens, created_at,
                         completed_at)
SELECT uuidv7(), {}, seq, role, content, status, output_tokens, output_tokens, created_at, created_at
FROM ai_shared_messages
WHERE shared = {} AND seq <= {}
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


async def fork_shared(viewer: Viewer, post_id: str, message_id: str | None) -> schemas.Conversation:
    """New private conversation for ``viewer`` holding copies of the published snapshot of ``post_id`` up to and
    including ``message_id`` (a snapshot message; the whole snapshot when ``None``).

    The fork has the snapshot's messages only: the author's system prompt and private context stay private.
    """
    post, snapshot = await publishing.visible_snapshot(post_id, viewer)
    last = await snapshot_message(snapshot, message_id)
    title = publishing.card_of(post).title
    fork_id: uuid.UUID = new_id()
    async with unit_of_work():
        rows = await Conversation.insert(
            Conversation(
                id=fork_id, owner=viewer.id, kind=snapshot["kind"], title=title, title_set_by_user=False,
                message_count=last["seq"], forked_from_conversation=snapshot["conversation"],
                forked_from_message=last["source_message"], forked_from_post=post["id"],
            )
        ).returning(*Conversation.all_columns())  # fmt: skip
        await Message.raw(COPY_SNAPSHOT_MESSAGES, fork_id, snapshot["id"], last["seq"])
        await posts.count_fork(post["id"])
        forked = ConversationForked(
            post_id=str(post["id"]), post_author_id=str(post["author"]), forker_id=viewer.id,
            conversation_id=str(fork_id), visibility=post["visibility"], created_at=datetime.now(tz=UTC),
        )  # fmt: skip
        await events.emit("ai.conversation_forked", forked)
    return store.to_conversation(rows[0])


async def snapshot_message(snapshot: dict[str, Any], message_id: str | None) -> dict[str, Any]:
    """The snapshot's message ``message_id`` (its last one when ``None``); 422 when it is not in the snapshot."""
    query = SharedMessage.select(SharedMessage.seq, SharedMessage.source_message).where(
        SharedMessage.shared == snapshot["id"]
    )
    if message_id is not None:
        query = query.where(SharedMessage.id == require_id(message_id, not_in_snapshot))
    row = await query.order_by(SharedMessage.seq, ascending=False).first()
    if row is None:
        raise not_in_snapshot()
    return row


def not_in_snapshot() -> ValidationFailed:
    return ValidationFailed(
        "message_id does not name a message of this published conversation (GET /api/v1/ai/shared/{post_id} lists "
        "them).",
        extra={"field": "message_id"},
    )
