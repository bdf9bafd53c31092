# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""Messages, the read marker's move, and typing (reading them: ``salon.chat.reads``).

Sending takes the chat row's lock (``SELECT ... FOR UPDATE``), then increments ``chats.last_seq`` in the same
transaction, so sequences are strictly increasing per chat. The lock also makes ``Idempotency-Key`` exact under
concurrency: a duplicate request waits for the first one's commit and then finds its message (the unique constraint
on ``(chat, sender, idempotency_key)`` is the backstop). Keys do not expire.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime
from typing import Any

import msgspec

from salon.chat.access import (
    MembershipRow,
    check_direct_not_blocked,
    member_ids,
    membership,
    sql,
)
from salon.chat.events import (
    ChatMessageCreated,
    MessageDeleted,
    MessageEdited,
    MessageHidden,
    MessageSent,
)
from salon.chat.schemas import MessageCreate, MessageView, SystemInfo
from salon.chat.views import MESSAGE_COLUMNS, VISIBLE_TO_MEMBER, message_views
from salon.lib import events
from salon.lib.db import unit_of_work
from salon.lib.errors import Conflict, Forbidden, NotFound, ValidationFailed, clipped
from salon.lib.ids import new_id, require_id
from salon.lib.pagination import Page, decode_cursor, split_page
from salon.media import services as media
from salon.realtime.typing_indicators import send_typing
from salon.settings import Settings

VALID_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
PREVIEW_LENGTH = 140
# Message ``chat_messages`` may be shown to the member bound to the placeholder.
SHOWN_TO_MEMBER = VISIBLE_TO_MEMBER.format(message="chat_messages", member="{}")


def clean_content(content: str, settings: Settings) -> str:
    text = content.strip()
    if not text:
        raise ValidationFailed("A message needs some text: content is empty.", extra={"field": "content"})
    if len(text) > settings.chat_message_max_length:
        raise ValidationFailed(
            f"A message can be at most {settings.chat_message_max_length} characters; this one has {len(text)}.",
            extra={"field": "content", "max_length": settings.chat_message_max_length},
        )
    return text


def _idempotency_key(key: str | None) -> str | None:
    if key is not None and not VALID_IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed("The Idempotency-Key header must be 1-255 visible ASCII characters (a UUID works well).")
    return key


def _fingerprint(content: str, reply_to_id: str | None, media_ids: list[str]) -> str:
    return hashlib.sha256(msgspec.json.encode([content, reply_to_id, media_ids])).hexdigest()[:32]


# Writing ------------------------------------------------------------------------------------------------------------


async def append(
    chat_id: uuid.UUID,
    *,
    sender: uuid.UUID | None,
    content: str = "",
    system: SystemInfo | None = None,
    reply_to_id: uuid.UUID | None = None,
    media_ids: list[uuid.UUID] | None = None,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
) -> dict[str, Any]:
    """Append a message (or, with ``system``, a system message) under the next sequence number. The caller holds the
    chat row's lock (``membership(..., lock=True)``) inside a unit of work."""
    message_id = new_id()
    counter = await sql(
        "UPDATE chats SET last_seq = last_seq + 1, last_message_id = {}, last_activity_at = now() WHERE id = {} "
        "RETURNING last_seq",
        message_id, chat_id,
    )  # fmt: skip
    rows = await sql(
        f"""
        INSERT INTO chat_messages (id, chat, seq, kind, sender, content, system, reply_to_id, media_ids,
                                   idempotency_key, request_fingerprint, created_at)
        VALUES ({{}}, {{}}, {{}}, {{}}, {{}}, {{}}, {{}}::jsonb, {{}}, {{}}::uuid[], {{}}, {{}}, now())
        RETURNING {MESSAGE_COLUMNS}
        """,
        message_id, chat_id, counter[0]["last_seq"], "system" if system else "text", sender, content,
        msgspec.json.encode(system).decode() if system else None, reply_to_id, media_ids or [], idempotency_key,
        fingerprint,
    )  # fmt: skip
    return rows[0]


async def announce(row: dict[str, Any], recipients: list[str]) -> MessageView:
    """Publish a new message as ``message`` to ``recipients`` (after commit); returns its view."""
    view = (await message_views([row]))[0]
    await events.publish("message", MessageSent(chat_id=view.chat_id, message=view), recipients)
    return view


async def send(
    user_id: uuid.UUID, chat_id: str, body: MessageCreate, settings: Settings, idempotency_key: str | None
) -> tuple[MessageView, bool]:
    """Send a message. Returns ``(message, replayed)``: a retry with the same ``Idempotency-Key`` and body returns
    the first message; the same key with a different body is a 422. ``media_ids`` must be the sender's own processed
    uploads; they become visible to the members who can read the message."""
    content = clean_content(body.content, settings)
    key = _idempotency_key(idempotency_key)
    fingerprint = _fingerprint(content, body.reply_to_id, body.media_ids)
    async with unit_of_work():
        member = await membership(chat_id, user_id, lock=True)
        if key is not None:
            previous = await _sent_with_key(member["id"], user_id, key)
            if previous is not None:
                if previous["request_fingerprint"] != fingerprint:
                    raise ValidationFailed(
                        "This Idempotency-Key was already used for a different message. Use a new key for a new "
                        "message."
                    )
                return (await message_views([previous]))[0], True
        await check_direct_not_blocked(member, user_id)
        reply_to = await _reply_target(member, body.reply_to_id)
        media_ids = await media.usable_media(user_id, body.media_ids)
        row = await append(
            member["id"], sender=user_id, content=content, reply_to_id=reply_to, media_ids=media_ids,
            idempotency_key=key, fingerprint=fingerprint,
        )  # fmt: skip
        await media.attach(media_ids, "message", row["id"], user_id)
        await advance_marker(member["id"], user_id, row["seq"])  # what you answer, you have read
        recipients = await member_ids(member["id"])
        view = await announce(row, recipients)
        await events.emit("chat.message_created", _created_event(member, view, user_id, recipients))
    return view, False


def _created_event(member: MembershipRow, view: MessageView, sender_id: uuid.UUID, recipients: list[str]) -> Any:
    return ChatMessageCreated(
        chat_id=view.chat_id,
        chat_type=member["kind"],
        chat_name=member["name"],
        message_id=view.id,
        seq=view.seq,
        sender_id=str(sender_id),
        recipient_ids=[recipient for recipient in recipients if recipient != str(sender_id)],
        preview=view.content[:PREVIEW_LENGTH],
        created_at=view.created_at,
    )


async def _sent_with_key(chat_id: uuid.UUID, sender: uuid.UUID, key: str) -> dict[str, Any] | None:
    rows = await sql(
        f"SELECT {MESSAGE_COLUMNS}, request_fingerprint FROM chat_messages "
        "WHERE chat = {} AND sender = {} AND idempotency_key = {}",
        chat_id, sender, key,
    )  # fmt: skip
    return rows[0] if rows else None


async def _reply_target(member: MembershipRow, reply_to_id: str | None) -> uuid.UUID | None:
    if reply_to_id is None:
        return None
    return (await named_message(member, reply_to_id, "reply_to_id"))["id"]


async def named_message(member: MembershipRow, message_id: str, field: str) -> dict[str, Any]:
    """The message a request body's ``field`` names: one of this chat the member can see, else a 400 naming it."""
    try:
        return await visible_message(member, message_id)
    except NotFound:
        raise ValidationFailed(
            f"{field} does not name a message of this chat that you can see.", extra={"field": field}
        ) from None


async def visible_message(member: MembershipRow, message_id: str) -> dict[str, Any]:
    """A message of the member's chat that they can see (sent after they joined, and not on hold unless they sent
    it), or 404."""
    parsed = require_id(message_id, lambda: NotFound(f"There is no message {clipped(message_id)} in this chat."))
    rows = await sql(
        f"SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE id = {{}} AND chat = {{}} AND seq > {{}} "
        f"AND {SHOWN_TO_MEMBER}",
        parsed, member["id"], member["joined_seq"], member["member"],
    )  # fmt: skip
    if not rows:
        raise NotFound(f"There is no message {clipped(message_id)} in this chat.")
    return rows[0]


async def _own_message(member: MembershipRow, message_id: str, user_id: uuid.UUID, action: str) -> dict[str, Any]:
    row = await visible_message(member, message_id)
    if row["kind"] != "text" or row["sender"] != user_id:
        raise Forbidden(f"You can only {action} messages you sent.")
    return row


async def edit(user_id: uuid.UUID, chat_id: str, message_id: str, content: str, settings: Settings) -> MessageView:
    """The sender edits a message; members get ``message_edited`` (only the sender, while it is on hold)."""
    text = clean_content(content, settings)
    async with unit_of_work():
        member = await membership(chat_id, user_id)
        row = await _own_message(member, message_id, user_id, "edit")
        if row["deleted_at"] is not None:
            raise Conflict("This message was deleted; it cannot be edited.")
        await check_direct_not_blocked(member, user_id)
        rows = await sql(
            f"UPDATE chat_messages SET content = {{}}, edited_at = now() WHERE id = {{}} RETURNING {MESSAGE_COLUMNS}",
            text, row["id"],
        )  # fmt: skip
        view = (await message_views(rows))[0]
        recipients = [str(user_id)] if rows[0]["held"] else await member_ids(member["id"])
        await events.publish("message_edited", MessageEdited(chat_id=view.chat_id, message=view), recipients)
    return view


async def delete_for_everyone(user_id: uuid.UUID, chat_id: str, message_id: str) -> None:
    """The sender deletes a message for everyone: its content is erased, a tombstone keeps its place in the sequence.
    Deleting it again is a no-op."""
    async with unit_of_work():
        member = await membership(chat_id, user_id)
        row = await _own_message(member, message_id, user_id, "delete")
        await _tombstone(row)


async def _tombstone(row: dict[str, Any]) -> bool:
    """Erase a message's content, keep its place in the sequence, and tell the members (``message_deleted``).
    False when it was already deleted."""
    deleted = await sql(
        "UPDATE chat_messages SET content = '', media_ids = ARRAY[]::uuid[], deleted_at = now() "
        "WHERE id = {} AND deleted_at IS NULL RETURNING id",
        row["id"],
    )
    if deleted:
        event = MessageDeleted(chat_id=str(row["chat"]), message_id=str(row["id"]), seq=row["seq"])
        await events.publish("message_deleted", event, await member_ids(row["chat"]))
    return bool(deleted)


# Moderation ---------------------------------------------------------------------------------------------------------


async def _message_row(message_id: uuid.UUID) -> dict[str, Any] | None:
    rows = await sql(f"SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE id = {{}}", message_id)
    return rows[0] if rows else None


async def remove_for_moderation(message_id: uuid.UUID) -> bool:
    """A moderator removed the message: deleted for everyone, like its sender would. False when it is gone already."""
    async with unit_of_work():
        row = await _message_row(message_id)
        return row is not None and await _tombstone(row)


async def withdraw_held(message_id: uuid.UUID) -> None:
    """The message was put on hold after it was delivered live: tell the members other than its sender to drop it
    (``message_hidden``). Lists, fetches and unread counts already leave it out for them."""
    row = await _message_row(message_id)
    if row is None or not row["held"] or row["sender"] is None:
        return
    others = [member for member in await member_ids(row["chat"]) if member != str(row["sender"])]
    await events.publish("message_hidden", MessageHidden(str(row["chat"]), str(row["id"]), row["seq"]), others)


# Reading ------------------------------------------------------------------------------------------------------------


async def history(user_id: uuid.UUID, chat_id: str, cursor: str | None, limit: int) -> Page[MessageView]:
    """Messages newest first, keyset-paged on ``seq``: messages arriving meanwhile never shift a page."""
    member = await membership(chat_id, user_id)
    position = decode_cursor(cursor, int)
    before = "AND seq < {}" if position else ""
    rows = await sql(
        f"SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE chat = {{}} AND seq > {{}} AND {SHOWN_TO_MEMBER} "
        f"{before} ORDER BY seq DESC LIMIT {{}}",
        member["id"], member["joined_seq"], user_id, *(position or ()), limit + 1,
    )  # fmt: skip
    page, next_cursor = split_page(rows, limit, key=lambda row: (row["seq"],))
    return Page(items=await message_views(page), next_cursor=next_cursor)


async def advance_marker(chat_id: uuid.UUID, user_id: uuid.UUID, seq: int) -> datetime | None:
    """Move the user's read marker forward to ``seq`` (never back) and record the move for receipts. Returns when,
    or None when the marker was already there."""
    rows = await sql(
        """
        WITH moved AS (
          UPDATE chat_members SET last_read_seq = {}, last_read_at = now()
          WHERE chat = {} AND member = {} AND last_read_seq < {}
          RETURNING chat, member, last_read_seq, last_read_at
        )
        INSERT INTO chat_read_marks (id, chat, reader, up_to_seq, read_at)
        SELECT {}, chat, member, last_read_seq, last_read_at FROM moved
        RETURNING read_at
        """,
        seq, chat_id, user_id, seq, new_id(),
    )  # fmt: skip
    return rows[0]["read_at"] if rows else None


# Typing -------------------------------------------------------------------------------------------------------------


async def typing(user_id: uuid.UUID, chat_id: str, is_typing: bool) -> bool:
    """Tell the other members the user is typing (or stopped); at most one ``typing`` event per user and chat every
    3 s (a stop always goes out). False when throttled."""
    member = await membership(chat_id, user_id)
    await check_direct_not_blocked(member, user_id)
    return await send_typing(str(user_id), str(member["id"]), await member_ids(member["id"]), typing=is_typing)
