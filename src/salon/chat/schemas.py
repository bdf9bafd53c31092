"""The chat API contract (msgspec Structs, snake_case, ids as strings)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from salon.lib.schemas import RequestBody
from salon.social.schemas import UserSummary

ChatType = Literal["direct", "group"]
Role = Literal["admin", "member"]
MessagePolicy = Literal["everyone", "followers", "friends"]
MAX_GROUP_MEMBERS = 256
Username = Annotated[str, Meta(min_length=1, max_length=64)]
ChatName = Annotated[str, Meta(max_length=1000)]  # trimmed and checked against NAME_MAX_LENGTH by the services
MessageId = Annotated[str, Meta(max_length=64, description="a message id")]
# Length limits on content are checked after trimming, against SALON_CHAT_MESSAGE_MAX_LENGTH; this bound only stops
# absurd bodies early.
RawContent = Annotated[str, Meta(max_length=100_000)]


# Requests ----------------------------------------------------------------------------------------------------------


class ChatCreate(RequestBody):
    type: ChatType
    usernames: Annotated[list[Username], Meta(min_length=1, max_length=MAX_GROUP_MEMBERS)]
    name: ChatName | None = None
    image_media_id: str | None = None


class ChatPatch(RequestBody):
    name: ChatName | UnsetType = UNSET
    image_media_id: str | UnsetType | None = UNSET


class MembersAdd(RequestBody):
    usernames: Annotated[list[Username], Meta(min_length=1, max_length=MAX_GROUP_MEMBERS)]


class MemberPatch(RequestBody):
    role: Role


class MessageCreate(RequestBody):
    content: RawContent
    media_ids: Annotated[list[str], Meta(max_length=4)] = []
    reply_to_id: MessageId | None = None


class MessagePatch(RequestBody):
    content: RawContent


class ReadMarker(RequestBody):
    up_to_id: MessageId


class TypingUpdate(RequestBody):
    typing: bool = True


class PreferencesPatch(RequestBody):
    allow_messages_from: MessagePolicy


# Responses ---------------------------------------------------------------------------------------------------------


class SystemInfo(msgspec.Struct, frozen=True):
    """What a system message records: ``action`` is created | joined | left | removed | renamed | image_changed."""

    action: str
    actor_id: str | None = None
    user_ids: list[str] = []
    usernames: list[str] = []  # of ``user_ids``, as they were called at the time
    name: str | None = None


class MessageView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    chat_id: str
    seq: int
    kind: Literal["text", "system"]
    sender: UserSummary | None  # null for system messages (and for a sender whose account is gone)
    content: str
    system: SystemInfo | None
    reply_to_id: str | None
    media_ids: list[str]
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    moderation_notice: str | None = None  # set, for its sender only, while the message is hidden pending review


class MemberView(msgspec.Struct, frozen=True):
    user: UserSummary
    role: Role
    joined_at: datetime
    last_read_seq: int


class ChatView(msgspec.Struct, frozen=True, kw_only=True):
    """A chat as one member sees it. ``members`` holds up to ``MEMBERS_PREVIEW`` members (a direct chat: both);
    ``GET /chats/{id}/members`` pages through all of them."""

    id: str
    type: ChatType
    name: str | None
    image_media_id: str | None
    member_count: int
    members: list[MemberView]
    role: Role
    last_seq: int
    last_message: MessageView | None
    last_activity_at: datetime
    last_read_seq: int
    unread_count: int
    created_at: datetime


class UnreadCounts(msgspec.Struct, frozen=True):
    unread_count: int  # unread messages over all chats
    unread_chats: int  # chats with at least one unread message


class ReadState(msgspec.Struct, frozen=True):
    chat_id: str
    last_read_seq: int
    unread_count: int


class Receipt(msgspec.Struct, frozen=True):
    user: UserSummary
    read_at: datetime


class ReceiptsView(msgspec.Struct, frozen=True):
    """Who read a message (oldest read first) and how many members have not read it yet (its sender excluded)."""

    message_id: str
    items: list[Receipt]
    unread_by_count: int
    next_cursor: str | None = None


class Preferences(msgspec.Struct, frozen=True):
    allow_messages_from: MessagePolicy


class TypingState(msgspec.Struct, frozen=True):
    sent: bool  # false when throttled: the other members were told less than 3 s ago


def system_info(raw: Any) -> SystemInfo | None:
    if raw is None:
        return None
    data = msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw
    return msgspec.convert(data, SystemInfo)
