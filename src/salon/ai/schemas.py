"""The API contract of AI conversations (msgspec Structs, snake_case, ids as strings)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from salon.lib.events import event_type
from salon.posts.schemas import PostView, Visibility
from salon.social.schemas import UserSummary

Title = Annotated[str, Meta(max_length=200)]
SystemPrompt = Annotated[str, Meta(max_length=20_000)]
MessageText = Annotated[str, Meta(min_length=1, max_length=32_000)]
Kind = Literal["chat", "coach"]
Status = Literal["streaming", "complete", "stopped", "failed"]


class ConversationCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | None = None
    system_prompt: SystemPrompt | None = None
    kind: Kind = "chat"


class ConversationUpdate(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | UnsetType = UNSET
    system_prompt: SystemPrompt | UnsetType = UNSET


class ForkedFrom(msgspec.Struct):
    conversation_id: str
    message_id: str
    post_id: str | None = None  # set when forked from a published snapshot (the ids then name the originals)


class Conversation(msgspec.Struct):
    id: str
    kind: Kind
    title: str
    system_prompt: str
    message_count: int
    forked_from: ForkedFrom | None
    created_at: datetime
    updated_at: datetime
    generating_message_id: str | None = None  # set while a reply is streaming: re-attach to it


class Usage(msgspec.Struct):
    prompt_tokens: int
    output_tokens: int
    total_tokens: int


class MessageError(msgspec.Struct):
    code: str
    detail: str


class Message(msgspec.Struct):
    id: str
    conversation_id: str
    seq: int
    role: Literal["user", "model"]
    content: str
    status: Status
    created_at: datetime
    completed_at: datetime | None = None
    error: MessageError | None = None
    usage: Usage | None = None
    first_token_ms: int | None = None


class MessageCreate(msgspec.Struct, forbid_unknown_fields=True):
    content: MessageText


class ForkCreate(msgspec.Struct, forbid_unknown_fields=True):
    message_id: str


class PublishCreate(msgspec.Struct, forbid_unknown_fields=True):
    caption: Annotated[str, Meta(max_length=100_000)] | None = None
    summary_id: str | None = None
    up_to_message_id: str | None = None
    visibility: Visibility = "public"


class SharedForkCreate(msgspec.Struct, forbid_unknown_fields=True):
    message_id: str | None = None  # a message of the snapshot; the whole snapshot when omitted


class SharedMessage(msgspec.Struct):
    """A message of a published snapshot (its own id: fork from it with ``POST /ai/shared/{post_id}/fork``)."""

    id: str
    seq: int
    role: Literal["user", "model"]
    content: str
    status: Status
    created_at: datetime


class SharedConversation(msgspec.Struct):
    """The snapshot a post of kind ``conversation`` embeds, with a page of its messages (``next_cursor``)."""

    post_id: str
    author: UserSummary
    kind: Kind
    title: str
    preview: str
    message_count: int
    fork_count: int
    created_at: datetime
    messages: list[SharedMessage]
    next_cursor: str | None


class PublishedConversation(msgspec.Struct):
    """The answer to a publish: the new post, and hashtags suggested from the summary (or the first message) that
    the author may add to the caption (``PATCH /api/v1/posts/{id}``)."""

    post: PostView
    suggested_hashtags: list[str]


class Summary(msgspec.Struct):
    id: str
    conversation_id: str
    content: str
    up_to_seq: int
    created_at: datetime


class AiUsage(msgspec.Struct):
    day: date
    prompt_tokens: int
    output_tokens: int
    total_tokens: int
    requests: int
    token_budget: int
    remaining_tokens: int
    resets_at: datetime


# Frames of a reply stream (text/event-stream; the SSE event name is given in each docstring) --------------------


class AiStart(msgspec.Struct):
    """``ai_start``: the stored user message and the id of the AI message being generated."""

    conversation_id: str
    user_message: Message
    ai_message_id: str


class AiChunk(msgspec.Struct):
    """``ai_chunk``: the next piece of text; ``index`` counts chunks from 0."""

    delta: str
    index: int


class AiComplete(msgspec.Struct):
    """``ai_complete``: the stored AI message (status ``complete``, or ``stopped`` after a stop) with its usage."""

    message: Message


class AiError(msgspec.Struct):
    """``error``: the reply failed; the stored message is ``failed`` and keeps the text that arrived."""

    code: str
    detail: str
    retryable: bool
    message_id: str | None = None


# Client-facing events (salon.lib.events.publish) -----------------------------------------------------------------


@event_type("ai.conversation_titled")
class ConversationTitled(msgspec.Struct):
    conversation_id: str
    title: str
