"""Tables of AI conversations. Only ``salon.ai`` services touch them.

Composite indexes (the owner's recent conversations, messages by sequence, usage per user and day) are created by a
raw migration next to the generated one.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns import UUID, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.m2m import LazyTableReference
from piccolo.table import Table

from salon.accounts.tables import User
from salon.lib.ids import new_id
from salon.posts.tables import Post

KINDS = ("chat", "coach")
ROLES = ("user", "model")
STATUSES = ("streaming", "complete", "stopped", "failed")


class Conversation(Table, tablename="ai_conversations"):
    """A private conversation of ``owner`` with the model.

    ``context_summary`` is the rolling summary of every message up to ``context_summary_seq`` (made by a job when the
    history outgrows the token budget); prompts send it in place of those messages.
    """

    id = UUID(primary_key=True, default=new_id)
    owner = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    kind = Varchar(length=16, default="chat")
    title = Varchar(length=200, default="")
    title_set_by_user = Boolean(default=False)  # the title job never overwrites a title the owner chose
    system_prompt = Text(default="")
    message_count = Integer(default=0)  # also the last ``seq`` handed out
    context_summary = Text(default="")
    context_summary_seq = Integer(default=0)
    forked_from_conversation = UUID(null=True, default=None)
    forked_from_message = UUID(null=True, default=None)
    forked_from_post = UUID(null=True, default=None)  # set when forked from a published snapshot
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Message(Table, tablename="ai_messages"):
    """One turn. ``seq`` increases per conversation; an AI message is ``streaming`` until it ends."""

    id = UUID(primary_key=True, default=new_id)
    conversation: ForeignKey[Any] = ForeignKey(
        LazyTableReference("Conversation", module_path=__name__), null=False, on_delete=OnDelete.cascade
    )
    seq = Integer()
    role = Varchar(length=8)
    content = Text(default="")
    status = Varchar(length=16, default="complete")
    error_code = Varchar(length=64, null=True, default=None)
    error_detail = Text(null=True, default=None)
    prompt_tokens = Integer(default=0)
    output_tokens = Integer(default=0)
    total_tokens = Integer(default=0)
    first_token_ms = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    completed_at = Timestamptz(null=True, default=None)


class ConversationSummary(Table, tablename="ai_summaries"):
    """A summary the owner asked for, covering the conversation up to ``up_to_seq``."""

    id = UUID(primary_key=True, default=new_id)
    conversation: ForeignKey[Any] = ForeignKey(
        LazyTableReference("Conversation", module_path=__name__), null=False, on_delete=OnDelete.cascade
    )
    content = Text()
    up_to_seq = Integer()
    prompt_tokens = Integer(default=0)
    output_tokens = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class AiUsageDay(Table, tablename="ai_usage_days"):
    """Tokens a user spent on one UTC day (from the provider's ``usageMetadata``)."""

    id = UUID(primary_key=True, default=new_id)
    owner = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    day = Date()
    prompt_tokens = Integer(default=0)
    output_tokens = Integer(default=0)
    total_tokens = Integer(default=0)
    requests = Integer(default=0)


class SharedConversation(Table, tablename="ai_shared_conversations"):
    """The snapshot a post of kind ``conversation`` embeds: which conversation it came from, frozen at publish time.

    Its messages are copies (``SharedMessage``): later edits, replies or the deletion of the private conversation
    never change it. Deleting the post (unpublishing) deletes the snapshot.
    """

    id = UUID(primary_key=True, default=new_id)
    post = ForeignKey(Post, null=False, unique=True, on_delete=OnDelete.cascade)
    owner = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    conversation = UUID(null=True, default=None)  # no FK: the private conversation may be deleted, the post stays
    kind = Varchar(length=16, default="chat")
    summary = UUID(null=True, default=None)  # the summary used as the preview card, if any
    message_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class SharedMessage(Table, tablename="ai_shared_messages"):
    """One message of a snapshot, copied at publish time (``source_message`` names the private original)."""

    id = UUID(primary_key=True, default=new_id)
    shared: ForeignKey[Any] = ForeignKey(
        LazyTableReference("SharedConversation", module_path=__name__), null=False, on_delete=OnDelete.cascade
    )
    source_message = UUID()
    seq = Integer()
    role = Varchar(length=8)
    content = Text(default="")
    status = Varchar(length=16, default="complete")
    output_tokens = Integer(default=0)  # the provider's count for a reply (bounds a fork's prompts)
    created_at = Timestamptz()
