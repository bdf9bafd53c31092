# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""Chats and their members: start a direct chat or a group, list and read chats, rename, add and remove members,
change roles. Messages live in ``salon.chat.messages``, read markers and receipts in ``salon.chat.reads``; who may do
what in ``salon.chat.access``.

Membership changes lock the chat row (like sends), so member counts, admin hand-over and the sequence numbers of
the system messages they write are exact under concurrency.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from msgspec import UNSET

from salon.chat.access import MembershipRow, check_may_reach, member_ids, membership, require_admin, sql
from salon.chat.events import ChatMemberRemoved, ChatMembersAdded, ChatUpdated
from salon.chat.messages import announce, append
from salon.chat.schemas import (
    MAX_GROUP_MEMBERS,
    ChatCreate,
    ChatPatch,
    ChatView,
    MemberView,
    Role,
    SystemInfo,
)
from salon.chat.views import CHAT_COLUMNS, UNREAD_COUNT_SQL, chat_views, member_views
from salon.lib import events
from salon.lib.db import unit_of_work
from salon.lib.errors import Conflict, NotFound, ValidationFailed, clipped
from salon.lib.ids import new_id
from salon.lib.pagination import Page, decode_cursor, split_page
from salon.media import services as media
from salon.realtime import presence
from salon.realtime.schemas import PresenceList

NAME_MAX_LENGTH = 100
MEMBER_COLUMNS = "id, chat, member, role, joined_at, last_read_seq"


# Reading ------------------------------------------------------------------------------------------------------------


async def list_chats(user_id: uuid.UUID, cursor: str | None, limit: int) -> Page[ChatView]:
    """The user's chats, most recent activity first, each with its last message and the user's unread count.

    Keyset on ``(last_activity_at, id)``: a chat that gets new activity while the client pages moves to the top (the
    client learns of it from the ``message`` event), the rest page without duplicates."""
    position = decode_cursor(cursor, datetime, uuid.UUID)
    after = "AND (c.last_activity_at, c.id) < ({}, {})" if position else ""
    rows = await sql(
        f"""
        SELECT {CHAT_COLUMNS}, {UNREAD_COUNT_SQL} AS unread_count
        FROM chat_members m JOIN chats c ON c.id = m.chat
        WHERE m.member = {{}} {after}
        ORDER BY c.last_activity_at DESC, c.id DESC LIMIT {{}}
        """,
        user_id, *(position or ()), limit + 1,
    )  # fmt: skip
    page, next_cursor = split_page(rows, limit, key=lambda row: (row["last_activity_at"], str(row["id"])))
    return Page(items=await chat_views(page), next_cursor=next_cursor)


async def get_chat(user_id: uuid.UUID, chat_id: str) -> ChatView:
    member = await membership(chat_id, user_id)
    rows = await sql(
        f"""
        SELECT {CHAT_COLUMNS}, {UNREAD_COUNT_SQL} AS unread_count
        FROM chat_members m JOIN chats c ON c.id = m.chat WHERE c.id = {{}} AND m.member = {{}}
        """,
        member["id"], user_id,
    )  # fmt: skip
    return (await chat_views(rows))[0]


async def members(user_id: uuid.UUID, chat_id: str, cursor: str | None, limit: int) -> Page[MemberView]:
    """Members in the order they joined."""
    member = await membership(chat_id, user_id)
    position = decode_cursor(cursor, uuid.UUID)
    after = "AND id > {}" if position else ""
    rows = await sql(
        f"SELECT {MEMBER_COLUMNS} FROM chat_members WHERE chat = {{}} {after} ORDER BY id LIMIT {{}}",
        member["id"], *(position or ()), limit + 1,
    )  # fmt: skip
    page, next_cursor = split_page(rows, limit, key=lambda row: (str(row["id"]),))
    return Page(items=await member_views(page), next_cursor=next_cursor)


async def member_presence(user_id: uuid.UUID, chat_id: str) -> PresenceList:
    """Online / idle / offline of the other members, as the real-time package lets the viewer see it (hidden users
    and users with a block between them and the viewer appear offline)."""
    member = await membership(chat_id, user_id)
    others = [uuid.UUID(other) for other in await member_ids(member["id"]) if other != str(user_id)]
    return PresenceList(items=await presence.presence_of(str(user_id), others))


# Starting chats -----------------------------------------------------------------------------------------------------


async def create_chat(user_id: uuid.UUID, body: ChatCreate) -> tuple[ChatView, bool]:
    """Start a chat. Returns ``(chat, created)``: a direct chat that already exists is returned as it is."""
    if body.type == "direct":
        chat_id, created = await _open_direct(user_id, body)
    else:
        chat_id, created = await _create_group(user_id, body), True
    return await get_chat(user_id, str(chat_id)), created


async def _open_direct(user_id: uuid.UUID, body: ChatCreate) -> tuple[uuid.UUID, bool]:
    if body.name is not None or body.image_media_id is not None:
        raise ValidationFailed("A direct chat has no name or image; leave them out, or start a group.")
    if len(body.usernames) != 1:
        raise ValidationFailed(
            "A direct chat is with exactly one other person: send one username (or start a group).",
            extra={"field": "usernames"},
        )
    other_id, other_name = next(iter((await _users_named(body.usernames)).items()))
    if other_id == user_id:
        raise ValidationFailed("You cannot start a direct chat with yourself.", extra={"field": "usernames"})
    key = ":".join(sorted((str(user_id), str(other_id))))
    existing = await _direct_chat(key)
    if existing is not None:
        return existing, False
    await check_may_reach(user_id, {other_id: other_name})
    async with unit_of_work():
        created = await sql(
            "INSERT INTO chats (id, kind, direct_key, created_by, last_seq, last_activity_at, member_count, created_at)"
            " VALUES ({}, 'direct', {}, {}, 0, now(), 2, now()) ON CONFLICT (direct_key) DO NOTHING RETURNING id",
            new_id(), key, user_id,
        )  # fmt: skip
        if not created:  # someone opened the same chat a moment ago
            return await _direct_chat(key), False  # type: ignore[return-value]
        chat_id = created[0]["id"]
        added = await _insert_members(chat_id, [user_id, other_id], admins=set(), joined_seq=0)
        await _publish_added(chat_id, added, user_id, [str(user_id), str(other_id)])
    return chat_id, True


async def _direct_chat(key: str) -> uuid.UUID | None:
    rows = await sql("SELECT id FROM chats WHERE direct_key = {}", key)
    return rows[0]["id"] if rows else None


async def _create_group(user_id: uuid.UUID, body: ChatCreate) -> uuid.UUID:
    name = _clean_name(body.name)
    image = await _group_image(user_id, body.image_media_id)
    others = {other: username for other, username in (await _users_named(body.usernames)).items() if other != user_id}
    if not others:
        raise ValidationFailed("A group needs at least one other member.", extra={"field": "usernames"})
    if len(others) + 1 > MAX_GROUP_MEMBERS:
        raise ValidationFailed(
            f"A group has at most {MAX_GROUP_MEMBERS} members, you included.", extra={"field": "usernames"}
        )
    await check_may_reach(user_id, others)
    chat_id = new_id()
    everyone = [user_id, *others]
    async with unit_of_work():
        await sql(
            "INSERT INTO chats (id, kind, name, image_media_id, created_by, last_seq, last_activity_at, member_count,"
            " created_at) VALUES ({}, 'group', {}, {}, {}, 0, now(), {}, now())",
            chat_id, name, image, user_id, len(everyone),
        )  # fmt: skip
        if image is not None:
            await media.attach([image], "chat_image", chat_id, user_id)
        added = await _insert_members(chat_id, everyone, admins={user_id}, joined_seq=0)
        recipients = [str(member) for member in everyone]
        await _publish_added(chat_id, added, user_id, recipients)
        system = SystemInfo(
            action="created", actor_id=str(user_id), user_ids=[str(other) for other in others],
            usernames=list(others.values()), name=name,
        )  # fmt: skip
        await announce(await append(chat_id, sender=None, system=system), recipients)
    return chat_id


# Changing groups ----------------------------------------------------------------------------------------------------


async def update_chat(user_id: uuid.UUID, chat_id: str, body: ChatPatch) -> ChatView:
    """Rename the group or change its image (admins); members get ``chat_updated``, and a rename also posts a
    ``renamed`` system message."""
    async with unit_of_work():
        member = await membership(chat_id, user_id, lock=True)
        require_admin(member, "change the group's name or image")
        name, image = member["name"], member["image_media_id"]
        if body.name is not UNSET:
            name = _clean_name(body.name)
        if body.image_media_id is not UNSET:
            image = await _group_image(user_id, body.image_media_id)
        if (name, image) == (member["name"], member["image_media_id"]):
            return await get_chat(user_id, chat_id)
        await sql("UPDATE chats SET name = {}, image_media_id = {} WHERE id = {}", name, image, member["id"])
        if image is not None and image != member["image_media_id"]:
            await media.attach([image], "chat_image", member["id"], user_id)
        recipients = await member_ids(member["id"])
        event = ChatUpdated(
            chat_id=str(member["id"]), name=name, image_media_id=str(image) if image else None, updated_by=str(user_id)
        )
        await events.publish("chat_updated", event, recipients)
        if name != member["name"]:
            system = SystemInfo(action="renamed", actor_id=str(user_id), name=name)
            await announce(await append(member["id"], sender=None, system=system), recipients)
    return await get_chat(user_id, chat_id)


async def add_members(user_id: uuid.UUID, chat_id: str, usernames: list[str]) -> ChatView:
    """Admins add people to a group. They see the group's messages from their joining on. Adding a member twice
    is a no-op."""
    wanted = await _users_named(usernames)
    async with unit_of_work():
        member = await membership(chat_id, user_id, lock=True)
        require_admin(member, "add members")
        current = await member_ids(member["id"])
        new = {other: name for other, name in wanted.items() if str(other) not in current}
        if new:
            await _check_room(member, len(new))
            await check_may_reach(user_id, new)
            added = await _insert_members(member["id"], list(new), admins=set(), joined_seq=member["last_seq"])
            await sql("UPDATE chats SET member_count = member_count + {} WHERE id = {}", len(new), member["id"])
            recipients = [*current, *(str(other) for other in new)]
            await _publish_added(member["id"], added, user_id, recipients)
            system = SystemInfo(
                action="joined", actor_id=str(user_id), user_ids=[str(other) for other in new],
                usernames=list(new.values()),
            )  # fmt: skip
            await announce(await append(member["id"], sender=None, system=system), recipients)
    return await get_chat(user_id, chat_id)


async def remove_member(user_id: uuid.UUID, chat_id: str, username: str) -> None:
    """Leave a group (your own username) or, as an admin, remove someone. The one who is gone stops receiving the
    chat's events and can no longer read it; when the last admin leaves, the longest-standing member becomes admin.
    When the last member leaves, the group and its messages are deleted."""
    async with unit_of_work():
        member = await membership(chat_id, user_id, lock=True)
        if member["kind"] != "group":
            raise ValidationFailed("A direct chat always has its two people; nobody can leave or be removed.")
        target = await _member_named(member["id"], username)
        leaving = target["member"] == user_id
        if not leaving:
            require_admin(member, "remove members")
        recipients = await member_ids(member["id"])
        await sql("DELETE FROM chat_members WHERE id = {}", target["id"])
        await sql("UPDATE chats SET member_count = member_count - 1 WHERE id = {}", member["id"])
        removed = ChatMemberRemoved(
            chat_id=str(member["id"]),
            user_id=str(target["member"]),
            reason="left" if leaving else "removed",
            removed_by=str(user_id),
        )
        await events.publish("chat_member_removed", removed, recipients)
        remaining = [recipient for recipient in recipients if recipient != str(target["member"])]
        if remaining:
            system = SystemInfo(
                action=removed.reason, actor_id=str(user_id), user_ids=[str(target["member"])],
                usernames=[target["username"]],
            )  # fmt: skip
            await announce(await append(member["id"], sender=None, system=system), remaining)
            await _hand_over_admin(member, user_id, remaining)
        else:  # the last one left: nobody can ever read the group again, so it goes (messages cascade)
            await sql("DELETE FROM chats WHERE id = {}", member["id"])


async def set_role(user_id: uuid.UUID, chat_id: str, username: str, role: Role) -> MemberView:
    """Admins make a member admin or an admin member again; the last admin cannot step down."""
    async with unit_of_work():
        member = await membership(chat_id, user_id, lock=True)
        require_admin(member, "change roles")
        target = await _member_named(member["id"], username)
        if target["role"] != role:
            if role == "member" and await _admin_count(member["id"]) == 1:
                raise Conflict(f"@{target['username']} is the group's only admin: make someone else admin first.")
            await sql("UPDATE chat_members SET role = {} WHERE id = {}", role, target["id"])
            await _publish_role(member, user_id, target["member"], role, await member_ids(member["id"]))
        rows = await sql(f"SELECT {MEMBER_COLUMNS} FROM chat_members WHERE id = {{}}", target["id"])
    return (await member_views(rows))[0]


async def _hand_over_admin(member: MembershipRow, actor: uuid.UUID, recipients: list[str]) -> None:
    promoted = await sql(
        """
        UPDATE chat_members SET role = 'admin'
        WHERE id = (SELECT id FROM chat_members WHERE chat = {} ORDER BY id LIMIT 1)
          AND NOT EXISTS (SELECT 1 FROM chat_members WHERE chat = {} AND role = 'admin')
        RETURNING member
        """,
        member["id"], member["id"],
    )  # fmt: skip
    if promoted:
        await _publish_role(member, actor, promoted[0]["member"], "admin", recipients)


async def _publish_role(
    member: MembershipRow, actor: uuid.UUID, target: uuid.UUID, role: str, recipients: list[str]
) -> None:
    event = ChatUpdated(
        chat_id=str(member["id"]),
        name=member["name"],
        image_media_id=None,
        updated_by=str(actor),
        role_changed=str(target),
        role=role,
    )
    await events.publish("chat_updated", event, recipients)


# Helpers ------------------------------------------------------------------------------------------------------------


async def _users_named(usernames: list[str]) -> dict[uuid.UUID, str]:
    """Active users by username (any case), in the order given, without repeats; 422 naming the unknown ones."""
    keys = list(dict.fromkeys(name.strip().lstrip("@").lower() for name in usernames))
    rows = await sql(
        "SELECT id, username, username_key FROM users WHERE username_key = ANY({}::text[]) AND is_active", keys
    )
    found = {row["username_key"]: row for row in rows}
    unknown = [key for key in keys if key not in found]
    if unknown:
        raise ValidationFailed(
            f"There is no user called {', '.join('@' + name for name in unknown)}.",
            extra={"field": "usernames", "unknown": unknown},
        )
    return {found[key]["id"]: found[key]["username"] for key in keys}


async def _member_named(chat_id: uuid.UUID, username: str) -> dict[str, Any]:
    rows = await sql(
        "SELECT m.id, m.member, m.role, u.username FROM chat_members m JOIN users u ON u.id = m.member "
        "WHERE m.chat = {} AND u.username_key = {}",
        chat_id, username.lstrip("@").lower(),
    )  # fmt: skip
    if not rows:
        raise NotFound(f"@{clipped(username)} is not a member of this chat.")
    return rows[0]


async def _insert_members(
    chat_id: uuid.UUID, user_ids: list[uuid.UUID], *, admins: set[uuid.UUID], joined_seq: int
) -> list[MemberView]:
    rows = await sql(
        f"""
        INSERT INTO chat_members (id, chat, member, role, joined_seq, last_read_seq, joined_at)
        SELECT new.id, {{}}, new.member, new.role, {{}}, {{}}, now()
        FROM unnest({{}}::uuid[], {{}}::uuid[], {{}}::text[]) AS new(id, member, role)
        RETURNING {MEMBER_COLUMNS}
        """,
        chat_id, joined_seq, joined_seq, [new_id() for _ in user_ids], user_ids,
        ["admin" if user_id in admins else "member" for user_id in user_ids],
    )  # fmt: skip
    return await member_views(sorted(rows, key=lambda row: row["id"]))


async def _publish_added(chat_id: uuid.UUID, added: list[MemberView], actor: uuid.UUID, recipients: list[str]) -> None:
    event = ChatMembersAdded(chat_id=str(chat_id), members=added, added_by=str(actor))
    await events.publish("chat_member_added", event, recipients)


async def _admin_count(chat_id: uuid.UUID) -> int:
    rows = await sql("SELECT count(*) AS admins FROM chat_members WHERE chat = {} AND role = 'admin'", chat_id)
    return int(rows[0]["admins"])


async def _check_room(member: MembershipRow, joining: int) -> None:
    if member["member_count"] + joining > MAX_GROUP_MEMBERS:
        raise ValidationFailed(
            f"A group has at most {MAX_GROUP_MEMBERS} members; this one has {member['member_count']}, so at most "
            f"{MAX_GROUP_MEMBERS - member['member_count']} more can join.",
            extra={"field": "usernames"},
        )


def _clean_name(name: str | None) -> str:
    text = (name or "").strip()
    if not text:
        raise ValidationFailed("A group needs a name.", extra={"field": "name"})
    if len(text) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            f"A group name can be at most {NAME_MAX_LENGTH} characters; this one has {len(text)}.",
            extra={"field": "name", "max_length": NAME_MAX_LENGTH},
        )
    return text


async def _group_image(user_id: uuid.UUID, image_media_id: str | None) -> uuid.UUID | None:
    """The group image: one of the admin's own processed uploads (``None`` for no image)."""
    if image_media_id is None:
        return None
    (image,) = await media.usable_media(user_id, [image_media_id], field="image_media_id")
    return image
