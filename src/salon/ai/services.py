"""AI conversation rules: ownership, messages and their sequence, starting / stopping / re-attaching to replies, fork.

Conversations are private to their owner: every lookup filters on the owner, so a stranger gets the same 404 as for
an id that does not exist.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast

import msgspec
from litestar.response import ServerSentEventMessage
from msgspec import UNSET

from salon.ai import generation, quota, schemas, store, streams
from salon.ai.tables import Conversation, Message
from salon.lib import idempotency, shutdown
from salon.lib.auth import Viewer
from salon.lib.db import unit_of_work
from salon.lib.errors import Conflict, ServiceUnavailable
from salon.lib.ids import new_id
from salon.lib.pagination import Page, decode_cursor, split_page
from salon.settings import Settings

STOP_WAIT_SECONDS = 10.0


# Conversations --------------------------------------------------------------------------------------------------


async def create_conversation(
    owner_id: str, *, title: str | None = None, system_prompt: str | None = None, kind: str = "chat"
) -> schemas.Conversation:
    """Also the entry point for other packages (the goals coach opens ``kind="coach"`` conversations here)."""
    title = (title or "").strip()
    async with unit_of_work():
        rows = await Conversation.insert(
            Conversation(
                id=new_id(),
                owner=owner_id,
                kind=kind,
                title=title,
                title_set_by_user=bool(title),
                system_prompt=(system_prompt or "").strip(),
            )
        ).returning(*Conversation.all_columns())
    return store.to_conversation(rows[0])


async def list_conversations(viewer: Viewer, cursor: str | None, limit: int) -> Page[schemas.Conversation]:
    """The owner's conversations, most recently active first (keyset on ``updated_at, id``)."""
    query = Conversation.select().where(Conversation.owner == viewer.id)
    after = decode_cursor(cursor, datetime, uuid.UUID)
    if after is not None:
        updated_at, last_id = after
        query = query.where(
            (Conversation.updated_at < updated_at)
            | ((Conversation.updated_at == updated_at) & (Conversation.id < last_id))
        )
    rows = await query.order_by(Conversation.updated_at, Conversation.id, ascending=False).limit(limit + 1)
    rows, next_cursor = split_page(rows, limit, lambda row: (row["updated_at"].isoformat(), str(row["id"])))
    generating = await generation.holders([str(row["id"]) for row in rows])
    items = [store.to_conversation(row, holder) for row, holder in zip(rows, generating, strict=True)]
    return Page(items=items, next_cursor=next_cursor)


async def get_conversation(viewer: Viewer, conversation_id: str) -> schemas.Conversation:
    row = await store.owned_conversation(conversation_id, viewer.id)
    (holder,) = await generation.holders([str(row["id"])])
    return store.to_conversation(row, holder)


async def update_conversation(
    viewer: Viewer, conversation_id: str, data: schemas.ConversationUpdate
) -> schemas.Conversation:
    row = await store.owned_conversation(conversation_id, viewer.id)
    changes: dict[Any, Any] = {Conversation.updated_at: datetime.now(tz=UTC)}
    if data.title is not UNSET:
        title = data.title.strip()
        changes[Conversation.title] = title
        changes[Conversation.title_set_by_user] = bool(title)  # clearing the title lets the model name it again
    if data.system_prompt is not UNSET:
        changes[Conversation.system_prompt] = data.system_prompt.strip()
    async with unit_of_work():
        rows = (
            await Conversation.update(changes)
            .where(Conversation.id == row["id"])
            .returning(*Conversation.all_columns())
        )
    (holder,) = await generation.holders([str(row["id"])])
    return store.to_conversation(rows[0], holder)


async def delete_conversation(viewer: Viewer, conversation_id: str) -> None:
    """Delete the conversation and its messages; a reply still streaming is stopped first."""
    row = await store.owned_conversation(conversation_id, viewer.id)
    (holder,) = await generation.holders([str(row["id"])])
    if holder:
        await generation.request_stop(holder)
    async with unit_of_work():
        await Conversation.delete().where(Conversation.id == row["id"])


# Messages -------------------------------------------------------------------------------------------------------


async def list_messages(
    viewer: Viewer, conversation_id: str, cursor: str | None, limit: int, settings: Settings
) -> Page[schemas.Message]:
    """Messages in conversation order (keyset on ``seq``). A reply whose process died is settled on the way."""
    conversation = await store.owned_conversation(conversation_id, viewer.id)
    after = decode_cursor(cursor, int)
    query = Message.select().where(Message.conversation == conversation["id"])
    if after is not None:
        query = query.where(Message.seq > after[0])
    rows = await query.order_by(Message.seq).limit(limit + 1)
    rows, next_cursor = split_page(rows, limit, lambda row: (row["seq"],))
    rows = [await settle(conversation["id"], row, settings) for row in rows]
    return Page(items=[store.to_message(row) for row in rows], next_cursor=next_cursor)


async def settle(conversation_id: uuid.UUID, row: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """``row`` as it truly is: a ``streaming`` message without a live generation becomes ``failed``."""
    if row["status"] != "streaming":
        return row
    if await generation.fail_if_abandoned(conversation_id, row["id"], settings.ai_stream_retention_seconds):
        return await store.message_by_id(row["id"]) or row
    return row


async def send_message(
    viewer: Viewer, conversation_id: str, content: str, settings: Settings, idempotency_key: str | None = None
) -> tuple[AsyncIterator[ServerSentEventMessage], bool]:
    """Send a message and return ``(the reply's frames, replayed)``.

    With an ``Idempotency-Key``, a retry of the same send (same conversation and content, within 24 h) starts nothing:
    it re-attaches to the reply the first send started, from its first frame (``replayed`` is true).
    """
    if idempotency_key is None:
        reply_id, replayed = await start_reply(viewer, conversation_id, content, settings), False
    else:
        request = msgspec.json.encode({"conversation_id": conversation_id, "content": content})
        reply_id, replayed = await idempotency.run_once(
            "ai-messages", viewer.id, idempotency_key, idempotency.fingerprint(request),
            lambda: start_reply(viewer, conversation_id, content, settings),
        )  # fmt: skip
    if replayed:  # from the first frame (no Last-Event-ID), so there is always a stream
        frames = await reply_frames(viewer, conversation_id, str(reply_id), None, settings)
        return cast(AsyncIterator[ServerSentEventMessage], frames), True
    return follow_reply(uuid.UUID(conversation_id), reply_id, None, settings), False


async def start_reply(viewer: Viewer, conversation_id: str, content: str, settings: Settings) -> uuid.UUID:
    """Store the user's message and a ``streaming`` AI message, start the generation, return the AI message's id.

    Client mistakes are HTTP errors before anything starts (404, 409 while a reply is streaming, 429 over the daily
    budget, 503 while the server shuts down); failures of the model arrive later as the stream's ``error`` frame.
    """
    conversation, tokens_today, streaming_ids = await store.owned_conversation_for_reply(
        conversation_id, viewer.id, quota.today()
    )
    if shutdown.requested():
        raise ServiceUnavailable(
            "This server is restarting and starts no new replies. Send the message again in a moment.",
            extra={"code": "shutting_down", "retryable": True},
        )
    quota.ensure_budget_left(tokens_today, settings)
    ai_message_id = new_id()
    holder = await generation.acquire(str(conversation["id"]), str(ai_message_id))
    if holder is not None:
        raise Conflict(
            "A reply is still being generated in this conversation. Wait for it to finish, re-attach to it, or stop "
            "it first.",
            extra={"code": "generation_in_progress", "generating_message_id": holder},
        )
    try:
        # Read before the slot was taken: one that finished meanwhile is left alone (settling only touches a
        # message still ``streaming``).
        for message_id in streaming_ids:
            await generation.fail_if_abandoned(conversation["id"], message_id, settings.ai_stream_retention_seconds)
        conversation, user_row = await store_turn(conversation["id"], ai_message_id, content.strip())
        start = schemas.AiStart(
            conversation_id=str(conversation["id"]), user_message=store.to_message(user_row),
            ai_message_id=str(ai_message_id),
        )  # fmt: skip
        start_entry = await streams.append(str(ai_message_id), "ai_start", start, retention=streams.LIVE_TTL_SECONDS)
    except BaseException:
        await generation.release(str(conversation["id"]), str(ai_message_id))
        raise
    generation.start(
        generation.Generation(
            conversation=conversation,
            message_id=ai_message_id,
            seq=conversation["message_count"],
            context_budget=settings.ai_context_token_budget,
            context_turns=settings.ai_context_max_turns,
            stream_retention=settings.ai_stream_retention_seconds,
            start_entry=start_entry,
        )
    )
    return ai_message_id


# One statement (atomic without BEGIN/COMMIT): the next two sequence numbers, the user's message and the empty
# ``streaming`` AI message. The messages' every column is given, so the user's row is known without reading it back.
_STORE_TURN = """
WITH conversation AS (
    UPDATE ai_conversations SET message_count = message_count + 2, updated_at = {}
    WHERE id = {}
    RETURNING *
), messages AS (
    INSERT INTO ai_messages (id, conversation, seq, role, content, status, error_code, error_detail, prompt_tokens,
                             output_tokens, total_tokens, first_token_ms, created_at, completed_at)
    SELECT {}::uuid, c.id, c.message_count - 1, 'user', {}::text, 'complete', NULL::varchar, NULL::text, 0, 0, 0,
           NULL::int, {}::timestamptz, {}::timestamptz
    FROM conversation c
    UNION ALL
    SELECT {}::uuid, c.id, c.message_count, 'model', '', 'streaming', NULL, NULL, 0, 0, 0, NULL, {}::timestamptz,
           NULL
    FROM conversation c
)
SELECT * FROM conversation
"""


async def store_turn(
    conversation_id: uuid.UUID, ai_message_id: uuid.UUID, content: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Hand out the next two sequence numbers and store the user message and the (empty) streaming AI message.
    Returns the conversation as updated and the user message's row."""
    now = datetime.now(tz=UTC)
    user_message_id = new_id()
    conversations = await Conversation.raw(
        _STORE_TURN, now, conversation_id, user_message_id, content, now, now, ai_message_id, now
    )
    if not conversations:
        raise store.conversation_not_found()
    conversation = conversations[0]
    user_row = {
        "id": user_message_id, "conversation": conversation_id, "seq": conversation["message_count"] - 1,
        "role": "user", "content": content, "status": "complete", "error_code": None, "error_detail": None,
        "prompt_tokens": 0, "output_tokens": 0, "total_tokens": 0, "first_token_ms": None, "created_at": now,
        "completed_at": now,
    }  # fmt: skip
    return conversation, user_row


async def reply_frames(
    viewer: Viewer, conversation_id: str, message_id: str, last_event_id: str | None, settings: Settings
) -> AsyncIterator[ServerSentEventMessage] | None:
    """Re-attach to a reply: its frames after ``last_event_id`` (all of them without one), then live ones. None when
    ``last_event_id`` is the reply's terminal frame or later: the client has every frame."""
    conversation = await store.owned_conversation(conversation_id, viewer.id)
    message = await store.message_in(conversation["id"], message_id)
    if message["role"] != "model":
        raise store.message_not_found()
    after = streams.check_last_event_id(last_event_id)
    message = await settle(conversation["id"], message, settings)
    if after is not None and await streams.ended_by(message_id, after):
        return None
    if message["status"] != "streaming" and not await streams.exists(message_id):
        return finished_reply_frames(message)  # the stream has expired: the stored message is the whole story
    return follow_reply(conversation["id"], message["id"], after, settings)


def follow_reply(
    conversation_id: uuid.UUID, message_id: uuid.UUID, after: str | None, settings: Settings
) -> AsyncIterator[ServerSentEventMessage]:
    def produced_here() -> bool:
        return generation.running_here(str(message_id)) is not None

    async def check_alive() -> None:
        # A reply produced in this process is alive while its task runs, whatever its lock says: under heavy load
        # the watchdog's refreshes can come late enough for the lock to lapse (seen at 1,000 streams), and the reply
        # must not be declared lost while it is still being written.
        if not produced_here():
            await generation.fail_if_abandoned(conversation_id, message_id, settings.ai_stream_retention_seconds)

    return streams.follow(str(message_id), after, check_alive, produced_here)


async def finished_reply_frames(message: dict[str, Any]) -> AsyncIterator[ServerSentEventMessage]:
    final = store.to_message(message)
    if message["status"] == "failed":
        error = schemas.AiError(
            code=message["error_code"] or "failed", detail=message["error_detail"] or "", retryable=True,
            message_id=final.id,
        )  # fmt: skip
        yield ServerSentEventMessage(id="final", event="error", data=_json(error))
        return
    yield ServerSentEventMessage(id="final", event="ai_complete", data=_json(schemas.AiComplete(message=final)))


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


async def stop_reply(viewer: Viewer, conversation_id: str, message_id: str, settings: Settings) -> schemas.Message:
    """Stop a streaming reply and return it as stored (status ``stopped`` with the partial text). Stopping a reply
    that already ended returns it unchanged."""
    conversation = await store.owned_conversation(conversation_id, viewer.id)
    message = await store.message_in(conversation["id"], message_id)
    if message["role"] != "model":
        raise Conflict("Only an AI reply can be stopped.", extra={"code": "not_a_reply"})
    message = await settle(conversation["id"], message, settings)
    if message["status"] == "streaming":
        await generation.request_stop(message_id)
        await wait_until_finished(conversation["id"], message["id"], settings)
        message = await store.message_by_id(message["id"]) or message
    return store.to_message(message)


async def wait_until_finished(conversation_id: uuid.UUID, message_id: uuid.UUID, settings: Settings) -> None:
    async def drain() -> None:
        async for _ in follow_reply(conversation_id, message_id, None, settings):
            pass

    try:
        await asyncio.wait_for(drain(), STOP_WAIT_SECONDS)
    except TimeoutError:  # the generation will still stop; the caller gets the message as it is now
        return
