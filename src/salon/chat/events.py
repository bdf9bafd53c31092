"""Events of the chat package.

Client-facing (``salon.lib.events.publish``, on each member's event stream; see docs/api.md, "Chat"): ``message``,
``message_edited``, ``message_deleted``, ``message_hidden``, ``read``, ``chat_member_added``, ``chat_member_removed``,
``chat_updated``.
Typing reuses the real-time package's ephemeral ``typing`` event (``conversation_id`` = the chat id).

Domain (``salon.lib.events.emit``, for worker-side subscribers such as notifications): ``chat.message_created``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from salon.chat.schemas import MemberView, MessageView
from salon.lib.events import event_type


@event_type("message")
class MessageSent(msgspec.Struct, frozen=True):
    chat_id: str
    message: MessageView


@event_type("message_edited")
class MessageEdited(msgspec.Struct, frozen=True):
    chat_id: str
    message: MessageView


@event_type("message_deleted")
class MessageDeleted(msgspec.Struct, frozen=True):
    chat_id: str
    message_id: str
    seq: int


@event_type("message_hidden")
class MessageHidden(msgspec.Struct, frozen=True):
    """Moderation hid a message pending review: drop it (it was delivered live before it was screened). Sent to the
    members other than its sender, who keeps seeing it with a ``moderation_notice``."""

    chat_id: str
    message_id: str
    seq: int


@event_type("read")
class MessagesRead(msgspec.Struct, frozen=True):
    """``user_id`` has read ``chat_id`` up to message ``up_to_id`` (sequence ``up_to_seq``)."""

    chat_id: str
    user_id: str
    up_to_id: str
    up_to_seq: int
    read_at: datetime


@event_type("chat_member_added")
class ChatMembersAdded(msgspec.Struct, frozen=True):
    """People joined ``chat_id`` (also sent to every member of a group when it is created)."""

    chat_id: str
    members: list[MemberView]
    added_by: str


@event_type("chat_member_removed")
class ChatMemberRemoved(msgspec.Struct, frozen=True):
    """``user_id`` is no longer a member: ``reason`` ``left`` (by themselves) or ``removed`` (by ``removed_by``)."""

    chat_id: str
    user_id: str
    reason: Literal["left", "removed"]
    removed_by: str


@event_type("chat_updated")
class ChatUpdated(msgspec.Struct, frozen=True):
    """The group's name or image changed, or a member's role (``role_changed`` names them)."""

    chat_id: str
    name: str | None
    image_media_id: str | None
    updated_by: str
    role_changed: str | None = None
    role: str | None = None


@event_type("chat.message_created")
class ChatMessageCreated(msgspec.Struct, frozen=True):
    """Domain event: a member sent a message. ``recipient_ids`` are the other members at the time of sending;
    a notifier decides who of them is offline or idle (``salon.realtime.presence``) and notifies them."""

    chat_id: str
    chat_type: str
    chat_name: str | None
    message_id: str
    seq: int
    sender_id: str
    recipient_ids: list[str]
    preview: str
    created_at: datetime
