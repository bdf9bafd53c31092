# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""Reading a chat: the read marker (``mark_read``), unread counts and a message's receipts.

A member's marker is ``chat_members.last_read_seq``; each move is also recorded in ``chat_read_marks``
(``salon.chat.messages.advance_marker``), so a receipt says when a member first read up to a message.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from salon.chat.access import member_ids, membership, sql
from salon.chat.events import MessagesRead
from salon.chat.messages import advance_marker, named_message, visible_message
from salon.chat.schemas import ReadState, Receipt, ReceiptsView, UnreadCounts
from salon.lib import events
from salon.lib.db import unit_of_work
from salon.lib.pagination import decode_cursor, split_page
from salon.moderation.holds import held_sql
from salon.social.services import users_by_id


async def mark_read(user_id: uuid.UUID, chat_id: str, up_to_id: str) -> ReadState:
    """Move the viewer's read marker to ``up_to_id``; members (and the viewer's other devices) get ``read``."""
    async with unit_of_work():
        member = await membership(chat_id, user_id)
        target = await named_message(member, up_to_id, "up_to_id")
        read_at = await advance_marker(member["id"], user_id, target["seq"])
        if read_at is not None:
            event = MessagesRead(
                chat_id=str(member["id"]),
                user_id=str(user_id),
                up_to_id=str(target["id"]),
                up_to_seq=target["seq"],
                read_at=read_at,
            )
            await events.publish("read", event, await member_ids(member["id"]))
    return ReadState(
        chat_id=str(member["id"]),
        last_read_seq=max(member["last_read_seq"], target["seq"]),
        unread_count=await _unread_in(member["id"], user_id),
    )


async def _unread_in(chat_id: uuid.UUID, user_id: uuid.UUID) -> int:
    rows = await sql(
        f"""
        SELECT count(*) AS unread FROM chat_members m JOIN chat_messages x ON x.chat = m.chat
        WHERE m.chat = {{}} AND m.member = {{}} AND x.seq > m.last_read_seq AND x.kind = 'text'
          AND x.deleted_at IS NULL AND x.sender IS DISTINCT FROM m.member AND NOT {held_sql("message", "x.id")}
        """,
        chat_id, user_id,
    )  # fmt: skip
    return int(rows[0]["unread"])


async def unread_totals(user_id: uuid.UUID) -> UnreadCounts:
    """Unread messages over all the user's chats, and how many chats have some."""
    rows = await sql(
        f"""
        SELECT count(*) AS unread, count(DISTINCT m.chat) AS chats
        FROM chat_members m JOIN chat_messages x ON x.chat = m.chat AND x.seq > m.last_read_seq
        WHERE m.member = {{}} AND x.kind = 'text' AND x.deleted_at IS NULL AND x.sender IS DISTINCT FROM m.member
          AND NOT {held_sql("message", "x.id")}
        """,
        user_id,
    )
    return UnreadCounts(unread_count=int(rows[0]["unread"]), unread_chats=int(rows[0]["chats"]))


async def receipts(user_id: uuid.UUID, chat_id: str, message_id: str, cursor: str | None, limit: int) -> ReceiptsView:
    """Who of the current members read a message, when (the first time their marker reached it), oldest first; and
    how many members who could see it have not read it. Its sender is left out of both."""
    member = await membership(chat_id, user_id)
    message = await visible_message(member, message_id)
    position = decode_cursor(cursor, datetime, uuid.UUID)
    after = "HAVING (min(r.read_at), r.reader) > ({}, {})" if position else ""
    rows = await sql(
        f"""
        SELECT r.reader, min(r.read_at) AS read_at
        FROM chat_read_marks r JOIN chat_members m ON m.chat = r.chat AND m.member = r.reader
        WHERE r.chat = {{}} AND r.up_to_seq >= {{}} AND m.joined_seq < {{}} AND r.reader IS DISTINCT FROM {{}}
        GROUP BY r.reader {after}
        ORDER BY read_at, r.reader LIMIT {{}}
        """,
        member["id"], message["seq"], message["seq"], message["sender"], *(position or ()), limit + 1,
    )  # fmt: skip
    page, next_cursor = split_page(rows, limit, key=lambda row: (row["read_at"], str(row["reader"])))
    unread = await sql(
        "SELECT count(*) AS unread FROM chat_members WHERE chat = {} AND joined_seq < {} AND last_read_seq < {} "
        "AND member IS DISTINCT FROM {}",
        member["id"], message["seq"], message["seq"], message["sender"],
    )  # fmt: skip
    users = await users_by_id(row["reader"] for row in page)
    return ReceiptsView(
        message_id=str(message["id"]),
        items=[Receipt(user=users[row["reader"]], read_at=row["read_at"]) for row in page if row["reader"] in users],
        unread_by_count=int(unread[0]["unread"]),
        next_cursor=next_cursor,
    )
