"""Publishing a conversation as a post of kind ``conversation``, and reading what was published.

Publishing copies the chosen messages into an immutable snapshot (``SharedConversation`` + ``SharedMessage`` rows)
in the same transaction as the post, whose ``attachment`` holds the preview card. The post then lives like any other
(feeds, likes, replies, quotes, search); the snapshot is readable by whoever may see the post, and goes when the post
is deleted (``jobs.on_post_deleted``). The private conversation is never exposed and never changed.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from typing import Any

import msgspec

from salon.ai import schemas, store, summaries
from salon.ai.tables import Message, SharedConversation, SharedMessage
from salon.lib.auth import Viewer
from salon.lib.db import unit_of_work
from salon.lib.errors import Conflict, NotFound, ValidationFailed, clipped
from salon.lib.ids import new_id, parse_id
from salon.lib.pagination import Page, decode_cursor, split_page
from salon.posts import services as posts
from salon.posts.schemas import ConversationCard, PostCreate
from salon.posts.text import find_hashtags
from salon.settings import Settings
from salon.social.visibility import summary as user_summary

PREVIEW_LENGTH = 280
UNTITLED = "An AI conversation"
_CARD = msgspec.json.Decoder(ConversationCard)
COPY_TO_SNAPSHOT = """
INSERT INTO ai_shared_messages (id, shared, source_message, seq, role, content, status, output_tokens, created_at)
SELECT uuidv7(), {}, id, seq, role, content, status, output_tokens, created_at
FROM ai_messages
WHERE conversation = {} AND seq <= {}
ORDER BY seq
"""


# Publish ----------------------------------------------------------------------------------------------------------


async def publish(
    viewer: Viewer, conversation_id: str, body: schemas.PublishCreate, settings: Settings
) -> schemas.PublishedConversation:
    """Create a post of kind ``conversation`` embedding a snapshot of the messages up to ``up_to_message_id`` (the
    last finished message by default), previewed by the chosen summary (or the first message)."""
    conversation = await store.owned_conversation(conversation_id, viewer.id)
    last = await last_published_message(conversation["id"], body.up_to_message_id)
    summary = await chosen_summary(conversation["id"], body.summary_id)
    preview_source = summary["content"] if summary else await first_message_text(conversation["id"])
    title = conversation["title"] or UNTITLED
    card = ConversationCard(title=title, preview=shorten(preview_source), message_count=last["seq"])
    content = (body.caption or "").strip() or title
    async with unit_of_work():
        row = await posts.create_post_row(
            viewer, PostCreate(content=content, visibility=body.visibility), settings,
            kind="conversation", attachment=card,
        )  # fmt: skip
        post_id = row["id"]
        shared_id = new_id()
        await SharedConversation.insert(
            SharedConversation(
                id=shared_id, post=post_id, owner=viewer.id, conversation=conversation["id"],
                kind=conversation["kind"], summary=summary["id"] if summary else None, message_count=last["seq"],
            )
        )  # fmt: skip
        await SharedMessage.raw(COPY_TO_SNAPSHOT, shared_id, conversation["id"], last["seq"])
    post = await posts.present_new_post(viewer, row)  # from the create's own row: the post is not read back
    return schemas.PublishedConversation(post=post, suggested_hashtags=suggest_hashtags(preview_source))


async def last_published_message(conversation_id: uuid.UUID, message_id: str | None) -> dict[str, Any]:
    if message_id is None:
        row = await (
            Message.select(Message.id, Message.seq, Message.status)
            .where((Message.conversation == conversation_id) & (Message.status != "streaming"))
            .order_by(Message.seq, ascending=False)
            .first()
        )
        if row is None:
            raise ValidationFailed("There is nothing to publish yet: send a message first.", extra={"code": "empty"})
        return row
    try:
        row = await store.message_in(conversation_id, message_id)
    except NotFound:
        raise ValidationFailed(
            "up_to_message_id does not name a message of this conversation.", extra={"field": "up_to_message_id"}
        ) from None
    if row["status"] == "streaming":
        raise Conflict(
            "This reply is still being generated; publish once it has finished (or stop it).",
            extra={"code": "generation_in_progress"},
        )
    return row


async def chosen_summary(conversation_id: uuid.UUID, summary_id: str | None) -> dict[str, Any] | None:
    if summary_id is None:
        return None
    parsed = parse_id(summary_id)
    row = await summaries.summary_of(conversation_id, parsed) if parsed else None
    if row is None:
        raise ValidationFailed(
            "summary_id does not name a summary of this conversation (GET .../summaries lists them).",
            extra={"field": "summary_id"},
        )
    return row


async def first_message_text(conversation_id: uuid.UUID) -> str:
    row = await (
        Message.select(Message.content).where(Message.conversation == conversation_id).order_by(Message.seq).first()
    )
    return row["content"] if row else ""


def shorten(text: str, limit: int = PREVIEW_LENGTH) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


# Hashtag suggestions ----------------------------------------------------------------------------------------------

MAX_SUGGESTED_HASHTAGS = 3
WORD = re.compile(r"\b[^\W\d_]{4,30}\b")
COMMON_WORDS = """
    about above after again against also among because been before being below between both could does doing down
    during each from further have having here how into itself just like more most much must only other over same
    should some such than that their theirs them then there these they this those through under until very were what
    when where which while will with would your yours user users asked asks answer answered explains explained
    discussed discusses conversation summary model salon think thing things make makes made using used want wants
"""
STOPWORDS = frozenset(COMMON_WORDS.split())


def suggest_hashtags(text: str) -> list[str]:
    """Up to three tags for ``text``: its own ``#tags`` first, then its most frequent significant words."""
    tags = [entity.tag for entity in find_hashtags(text)]
    words = [word.casefold() for word in WORD.findall(text)]
    counts = Counter(word for word in words if word not in STOPWORDS)
    ranked = sorted(counts, key=lambda word: (-counts[word], words.index(word)))
    return list(dict.fromkeys(tags + ranked))[:MAX_SUGGESTED_HASHTAGS]


# Reading a published snapshot -------------------------------------------------------------------------------------


def shared_not_found(post_id: str) -> NotFound:
    return NotFound(f"There is no published conversation {clipped(post_id)!r} that you can see.")


async def visible_snapshot(post_id: str, viewer: Viewer | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(post row, snapshot row)`` of a published conversation the viewer may see; 404 otherwise (unknown, deleted
    or hidden post, a post of another kind, or a snapshot already removed)."""
    try:
        post = await posts.visible_post_row(post_id, viewer.uuid if viewer else None)
    except NotFound:
        raise shared_not_found(post_id) from None
    snapshot = None
    if post["kind"] == "conversation" and post["attachment"]:
        snapshot = await SharedConversation.select().where(SharedConversation.post == post["id"]).first()
    if snapshot is None:
        raise shared_not_found(post_id)
    return post, snapshot


async def shared(viewer: Viewer | None, post_id: str, cursor: str | None, limit: int) -> schemas.SharedConversation:
    """The snapshot with a page of its messages (in order, keyset on ``seq``)."""
    post, snapshot = await visible_snapshot(post_id, viewer)
    page = await snapshot_messages(snapshot["id"], cursor, limit)
    card = card_of(post)
    return schemas.SharedConversation(
        post_id=str(post["id"]), author=user_summary(post, "author_id"), kind=snapshot["kind"],
        title=card.title, preview=card.preview, message_count=snapshot["message_count"],
        fork_count=post["fork_count"], created_at=snapshot["created_at"], messages=page.items,
        next_cursor=page.next_cursor,
    )  # fmt: skip


def card_of(post: dict[str, Any]) -> ConversationCard:
    """The preview card stored with a published conversation's post."""
    return _CARD.decode(post["attachment"])


async def snapshot_messages(shared_id: uuid.UUID, cursor: str | None, limit: int) -> Page[schemas.SharedMessage]:
    query = SharedMessage.select().where(SharedMessage.shared == shared_id)
    after = decode_cursor(cursor, int)
    if after is not None:
        query = query.where(SharedMessage.seq > after[0])
    rows = await query.order_by(SharedMessage.seq).limit(limit + 1)
    rows, next_cursor = split_page(rows, limit, lambda row: (row["seq"],))
    return Page(items=[to_shared_message(row) for row in rows], next_cursor=next_cursor)


def to_shared_message(row: dict[str, Any]) -> schemas.SharedMessage:
    return schemas.SharedMessage(
        id=str(row["id"]), seq=row["seq"], role=row["role"], content=row["content"], status=row["status"],
        created_at=row["created_at"],
    )  # fmt: skip


async def unpublish(post_id: str) -> None:
    """The post is gone: its snapshot goes too (idempotent; the private conversation stays)."""
    parsed = parse_id(post_id)
    if parsed is not None:
        async with unit_of_work():
            await SharedConversation.delete().where(SharedConversation.post == parsed)
