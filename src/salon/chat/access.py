"""Who may do what in chat: membership (a non-member gets 404 for everything), admin rights, blocks, and each user's
messaging policy (``chat_preferences.allow_messages_from``: everyone | followers | friends).

The policy decides who may *start* a direct chat with a user or add them to a group; a block in either direction
also stops an existing direct chat (no sending, editing or typing), while history stays readable.
"""

from __future__ import annotations

import uuid
from typing import Any

from salon.chat.schemas import MessagePolicy, Preferences
from salon.chat.tables import Chat
from salon.lib.db import unit_of_work
from salon.lib.errors import Forbidden, NotFound, ValidationFailed, clipped
from salon.lib.ids import require_id
from salon.social.services import blocked_between_ids, is_blocked_between, relations

MembershipRow = dict[str, Any]

_MEMBERSHIP = """
SELECT c.id, c.kind, c.name, c.image_media_id, c.last_seq, c.member_count, m.member, m.role, m.joined_seq,
       m.last_read_seq
FROM chats c JOIN chat_members m ON m.chat = c.id AND m.member = {}
WHERE c.id = {}
"""


async def sql(query: str, *args: Any) -> list[dict[str, Any]]:
    return await Chat.raw(query, *args)


def chat_not_found(chat_id: str) -> NotFound:
    return NotFound(f"There is no chat {clipped(chat_id)} that you are a member of.")


async def membership(chat_id: str, user_id: uuid.UUID, *, lock: bool = False) -> MembershipRow:
    """The chat and the user's membership in it; 404 for a bad id, an unknown chat, or a chat they are not in.

    ``lock=True`` (inside a unit of work) also locks the chat row, serialising sends and membership changes. The lock
    is ``FOR NO KEY UPDATE``: it does not block the key-share locks that inserting rows referencing the chat takes
    (a read marker moving at the same time), which ``FOR UPDATE`` would, and could deadlock with."""
    parsed = require_id(chat_id, lambda: chat_not_found(chat_id))
    rows = await sql(_MEMBERSHIP + (" FOR NO KEY UPDATE OF c" if lock else ""), user_id, parsed)
    if not rows:
        raise chat_not_found(chat_id)
    return rows[0]


def require_admin(member: MembershipRow, action: str) -> None:
    if member["kind"] != "group":
        raise ValidationFailed(f"A direct chat has no admins: you cannot {action} in it. Start a group instead.")
    if member["role"] != "admin":
        raise Forbidden(f"Only admins of this group can {action}.")


async def member_ids(chat_id: uuid.UUID) -> list[str]:
    rows = await sql("SELECT member FROM chat_members WHERE chat = {}", chat_id)
    return [str(row["member"]) for row in rows]


async def check_direct_not_blocked(member: MembershipRow, user_id: uuid.UUID) -> None:
    """In a direct chat, a block in either direction stops the conversation (403)."""
    if member["kind"] != "direct":
        return
    rows = await sql("SELECT member FROM chat_members WHERE chat = {} AND member <> {}", member["id"], user_id)
    if rows and await is_blocked_between(user_id, rows[0]["member"]):
        raise Forbidden("You cannot send messages in this chat: one of you has blocked the other.")


async def check_may_reach(sender_id: uuid.UUID, recipients: dict[uuid.UUID, str]) -> None:
    """May ``sender_id`` start a chat with (or add to a group) each of ``recipients`` (id -> username)? 403 naming
    those who cannot be reached: a block in either direction, or their messaging policy."""
    blocked = await blocked_between_ids(sender_id, recipients)
    if blocked:
        names = ", ".join(f"@{recipients[user_id]}" for user_id in blocked)
        raise Forbidden(
            f"You cannot chat with {names}: one of you has blocked the other.",
            extra={"usernames": [recipients[user_id] for user_id in blocked]},
        )
    policies = await _restrictive_policies(list(recipients))
    if not policies:
        return
    relation = await relations(sender_id, list(policies))
    refused = [
        user_id
        for user_id, policy in policies.items()
        if not _policy_allows(policy, relation[user_id].following, relation[user_id].friends)
    ]
    if refused:
        details = "; ".join(
            f"@{recipients[user_id]} only from {_policy_phrase(policies[user_id])}" for user_id in refused
        )
        raise Forbidden(
            f"These people only accept chats from some people: {details}.",
            extra={"code": "messaging_restricted", "usernames": [recipients[user_id] for user_id in refused]},
        )


def _policy_allows(policy: str, follows_them: bool, friends: bool) -> bool:
    if policy == "friends":
        return friends
    if policy == "followers":
        return follows_them or friends
    return True


def _policy_phrase(policy: str) -> str:
    return "their friends" if policy == "friends" else "their followers and friends"


async def _restrictive_policies(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    rows = await sql(
        "SELECT owner, allow_messages_from FROM chat_preferences "
        "WHERE owner = ANY({}::uuid[]) AND allow_messages_from <> 'everyone'",
        user_ids,
    )
    return {row["owner"]: row["allow_messages_from"] for row in rows}


async def preferences(user_id: uuid.UUID) -> Preferences:
    rows = await sql("SELECT allow_messages_from FROM chat_preferences WHERE owner = {}", user_id)
    return Preferences(allow_messages_from=rows[0]["allow_messages_from"] if rows else "everyone")


async def set_preferences(user_id: uuid.UUID, allow_messages_from: MessagePolicy) -> Preferences:
    async with unit_of_work():
        await sql(
            "INSERT INTO chat_preferences (owner, allow_messages_from, updated_at) VALUES ({}, {}, now()) "
            "ON CONFLICT (owner) DO UPDATE SET allow_messages_from = EXCLUDED.allow_messages_from, updated_at = now()",
            user_id,
            allow_messages_from,
        )
    return Preferences(allow_messages_from=allow_messages_from)
