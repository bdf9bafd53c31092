# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""Turning rows into API views, a page at a time with a fixed number of queries (no N+1).

A page of chats costs three queries after the page itself: last messages, a preview of members, and the users named
by both. A page of messages costs one more (its senders).

Moderation: a message on hold (``salon.moderation.holds``) is only for its sender, who sees it with a
``moderation_notice``. Queries that return messages to other members leave held ones out with ``VISIBLE_TO_MEMBER``
(the ``held`` column of ``MESSAGE_COLUMNS`` tells the sender's view apart).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from salon.chat.access import sql
from salon.chat.schemas import ChatView, MemberView, MessageView, system_info
from salon.moderation.holds import HIDDEN_NOTICE, held_sql, not_held_sql
from salon.social.schemas import UserSummary
from salon.social.services import users_by_id

MEMBERS_PREVIEW = 5

MESSAGE_COLUMNS = (
    "id, chat, seq, kind, sender, content, system, reply_to_id, media_ids, created_at, edited_at, deleted_at, "
    f"{held_sql('message', 'chat_messages.id')} AS held"
)
# SQL predicate (a format string): message ``{message}`` may be shown to member ``{member}`` (not on hold, or theirs).
VISIBLE_TO_MEMBER = not_held_sql("message", "{message}.id", "{message}.sender", "{member}")
# The viewer's unread messages in chat ``c`` (member row ``m``): others' messages after the read marker, not deleted,
# not on hold.
UNREAD_COUNT_SQL = f"""
(SELECT count(*) FROM chat_messages x
 WHERE x.chat = c.id AND x.seq > m.last_read_seq AND x.kind = 'text' AND x.deleted_at IS NULL
   AND x.sender IS DISTINCT FROM m.member AND NOT {held_sql("message", "x.id")})
"""
# The last message of chat ``c`` that member ``m`` may see: ``c.last_message_id`` unless that one is on hold (then
# the newest before it that is not, or theirs).
LAST_VISIBLE_MESSAGE_SQL = f"""
(CASE WHEN NOT {held_sql("message", "c.last_message_id")} THEN c.last_message_id ELSE
  (SELECT x.id FROM chat_messages x
   WHERE x.chat = c.id AND {VISIBLE_TO_MEMBER.format(message="x", member="m.member")}
   ORDER BY x.seq DESC LIMIT 1)
 END)
"""
CHAT_COLUMNS = (
    "c.id, c.kind, c.name, c.image_media_id, c.member_count, c.last_seq, "
    f"{LAST_VISIBLE_MESSAGE_SQL} AS last_message_id, c.last_activity_at, c.created_at, m.role, m.last_read_seq"
)


def message_view(row: dict[str, Any], users: dict[uuid.UUID, UserSummary]) -> MessageView:
    deleted = row["deleted_at"] is not None
    return MessageView(
        id=str(row["id"]),
        chat_id=str(row["chat"]),
        seq=row["seq"],
        kind=row["kind"],
        sender=users.get(row["sender"]) if row["sender"] else None,
        content="" if deleted else row["content"],
        system=system_info(row["system"]),
        reply_to_id=str(row["reply_to_id"]) if row["reply_to_id"] else None,
        media_ids=[] if deleted else [str(media_id) for media_id in row["media_ids"] or []],
        created_at=row["created_at"],
        edited_at=row["edited_at"],
        deleted=deleted,
        moderation_notice=HIDDEN_NOTICE if row["held"] and not deleted else None,
    )


async def message_views(rows: list[dict[str, Any]]) -> list[MessageView]:
    users = await users_by_id(_users_named_by(rows))
    return [message_view(row, users) for row in rows]


async def message_rows(message_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    ids = list(message_ids)
    if not ids:
        return {}
    rows = await sql(f"SELECT {MESSAGE_COLUMNS} FROM chat_messages WHERE id = ANY({{}}::uuid[])", ids)
    return {row["id"]: row for row in rows}


def member_view(row: dict[str, Any], users: dict[uuid.UUID, UserSummary]) -> MemberView:
    return MemberView(
        user=users[row["member"]], role=row["role"], joined_at=row["joined_at"], last_read_seq=row["last_read_seq"]
    )


async def member_views(rows: list[dict[str, Any]]) -> list[MemberView]:
    users = await users_by_id(row["member"] for row in rows)
    return [member_view(row, users) for row in rows if row["member"] in users]


async def chat_views(rows: list[dict[str, Any]]) -> list[ChatView]:
    """Views of chat rows (``CHAT_COLUMNS`` plus ``unread_count``) as their member sees them."""
    if not rows:
        return []
    messages = await message_rows(row["last_message_id"] for row in rows if row["last_message_id"])
    members = await _member_previews([row["id"] for row in rows])
    member_rows = [member for chat_members in members.values() for member in chat_members]
    users = await users_by_id([*_users_named_by(messages.values()), *(member["member"] for member in member_rows)])
    return [_chat_view(row, messages, members.get(row["id"], []), users) for row in rows]


def _chat_view(
    row: dict[str, Any],
    messages: dict[uuid.UUID, dict[str, Any]],
    members: list[dict[str, Any]],
    users: dict[uuid.UUID, UserSummary],
) -> ChatView:
    last_message = messages.get(row["last_message_id"])
    return ChatView(
        id=str(row["id"]),
        type=row["kind"],
        name=row["name"],
        image_media_id=str(row["image_media_id"]) if row["image_media_id"] else None,
        member_count=row["member_count"],
        members=[member_view(member, users) for member in members if member["member"] in users],
        role=row["role"],
        last_seq=row["last_seq"],
        last_message=message_view(last_message, users) if last_message else None,
        last_activity_at=row["last_activity_at"],
        last_read_seq=row["last_read_seq"],
        unread_count=row["unread_count"],
        created_at=row["created_at"],
    )


async def _member_previews(chat_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    rows = await sql(
        """
        SELECT chat, member, role, joined_at, last_read_seq FROM (
          SELECT chat, member, role, joined_at, last_read_seq,
                 row_number() OVER (PARTITION BY chat ORDER BY id) AS position
          FROM chat_members WHERE chat = ANY({}::uuid[])
        ) ranked WHERE position <= {} ORDER BY chat, position
        """,
        chat_ids,
        MEMBERS_PREVIEW,
    )
    previews: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in rows:
        previews.setdefault(row["chat"], []).append(row)
    return previews


def _users_named_by(rows: Iterable[dict[str, Any]]) -> list[uuid.UUID]:
    named: list[uuid.UUID] = []
    for row in rows:
        if row["sender"]:
            named.append(row["sender"])
    return named
