"""Chats, their members, their messages and read state. Ids are UUIDv7 (time ordered).

- ``chats.last_seq`` is the per-chat message counter: sending a message takes the chat row's lock and increments it
  in the same transaction, so ``chat_messages.seq`` is strictly increasing within a chat (and unique: a constraint).
- A direct chat has ``direct_key`` = the two user ids in sorted order; the unique constraint makes "the" direct chat
  between two people race-safe. Groups have no ``direct_key`` (NULLs never collide).
- A member sees the messages with ``seq > joined_seq`` (people added to a group do not read what was said before).
  Leaving or being removed deletes the membership row: a non-member reads nothing.
- ``chat_read_marks`` records every forward move of a read marker, so a message's receipts say when each member read
  it (the first mark at or past its ``seq``).
"""

from __future__ import annotations

from piccolo.columns import JSONB, UUID, Array, BigInt, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table

from salon.accounts.tables import User
from salon.lib.ids import new_id


class Chat(Table, tablename="chats"):
    id = UUID(primary_key=True, default=new_id)
    kind = Varchar(length=8)  # direct | group (``type`` in the API)
    name = Varchar(length=100, null=True, default=None)
    image_media_id = UUID(null=True, default=None)
    direct_key = Varchar(length=80, null=True, default=None, unique=True)
    created_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True)
    last_seq = BigInt(default=0)
    last_message_id = UUID(null=True, default=None)
    last_activity_at = Timestamptz(default=TimestamptzNow())
    member_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class ChatMember(Table, tablename="chat_members"):
    id = UUID(primary_key=True, default=new_id)
    chat = ForeignKey(Chat, on_delete=OnDelete.cascade, null=False)
    member = ForeignKey(User, on_delete=OnDelete.cascade, null=False, index=True)
    role = Varchar(length=8, default="member")  # admin | member
    joined_seq = BigInt(default=0)
    last_read_seq = BigInt(default=0)
    last_read_at = Timestamptz(null=True, default=None)
    joined_at = Timestamptz(default=TimestamptzNow())
    chat_members_unique_member = Unique([chat, member])


class ChatMessage(Table, tablename="chat_messages"):
    """A message (``kind='text'``) or a system message (``kind='system'``: joins, leaves, renames; ``sender`` NULL
    and ``system`` describing it). Deleting for everyone keeps the row with the content erased (a tombstone)."""

    id = UUID(primary_key=True, default=new_id)
    chat = ForeignKey(Chat, on_delete=OnDelete.cascade, null=False)
    seq = BigInt()
    kind = Varchar(length=8, default="text")
    sender = ForeignKey(User, on_delete=OnDelete.set_null, null=True)
    content = Text(default="")
    system = JSONB(null=True, default=None)
    reply_to_id = UUID(null=True, default=None)
    media_ids = Array(base_column=UUID(), default=list)
    idempotency_key = Varchar(length=255, null=True, default=None)
    request_fingerprint = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    edited_at = Timestamptz(null=True, default=None)
    deleted_at = Timestamptz(null=True, default=None)
    chat_messages_unique_seq = Unique([chat, seq])
    chat_messages_unique_idempotency = Unique([chat, sender, idempotency_key])


class ChatReadMark(Table, tablename="chat_read_marks"):
    id = UUID(primary_key=True, default=new_id)
    chat = ForeignKey(Chat, on_delete=OnDelete.cascade, null=False)
    reader = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    up_to_seq = BigInt()
    read_at = Timestamptz(default=TimestamptzNow())


class ChatPreference(Table, tablename="chat_preferences"):
    """Who may start a chat with ``owner`` (or add them to a group): everyone | followers | friends."""

    owner = ForeignKey(User, on_delete=OnDelete.cascade, null=False, primary_key=True)
    allow_messages_from = Varchar(length=16, default="everyone")
    updated_at = Timestamptz(default=TimestamptzNow())
