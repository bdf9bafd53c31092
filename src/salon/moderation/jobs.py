"""Moderation in the worker: new content is screened by a job of its own, so a slow or failing model never delays the
other subscribers of an event, and never the HTTP response.

- ``post.created`` -> ``screen_post``: every new post and reply.
- ``user.bio_changed`` -> ``screen_bio``: every new non-empty bio (subject ``bio``, id = its ``bio_version``).
- ``chat.message_created`` -> ``screen_message``: a chat message when one of its recipients is a stranger to the
  sender (``has_stranger``); messages among followers and friends are not screened.
"""

from __future__ import annotations

import uuid
from typing import Any

from salon.accounts.events import UserBioChanged
from salon.chat import messages as chat_messages
from salon.chat.events import ChatMessageCreated
from salon.lib import jobs
from salon.lib.events import subscriber
from salon.lib.ids import parse_id
from salon.moderation import screening
from salon.moderation.tables import ModerationItem
from salon.posts.events import PostCreated
from salon.settings import get_settings


async def _sql(query: str, *args: Any) -> list[dict[str, Any]]:
    return await ModerationItem.raw(query, *args)  # type: ignore[no-any-return]


# Posts -------------------------------------------------------------------------------------------------------------


@subscriber("post.created")
async def on_post_created(event: PostCreated) -> None:
    await jobs.enqueue(screen_post, key=f"screen_post:{event.post_id}", post_id=event.post_id)


@jobs.job(timeout=120, retries=2)
async def screen_post(ctx: dict[str, Any], *, post_id: str) -> None:
    rows = await _sql(
        """
        SELECT p.id, p.author, p.content,
          (SELECT count(*) FROM posts same WHERE same.author = p.author AND same.content = p.content
             AND same.deleted_at IS NULL AND same.created_at > now() - interval '1 day') AS repeats
        FROM posts p WHERE p.id = {} AND p.deleted_at IS NULL
        """,
        parse_id(post_id),
    )
    if not rows:
        return  # deleted before it was screened
    row = rows[0]
    subject = screening.Subject("post", row["id"], row["author"], row["content"])
    await screening.screen(subject, get_settings(), repeats=int(row["repeats"]))


# Profile bios ------------------------------------------------------------------------------------------------------


@subscriber("user.bio_changed")
async def on_bio_changed(event: UserBioChanged) -> None:
    key = f"screen_bio:{event.bio_version}"
    await jobs.enqueue(screen_bio, key=key, user_id=event.user_id, bio_version=event.bio_version)


@jobs.job(timeout=120, retries=2)
async def screen_bio(ctx: dict[str, Any], *, user_id: str, bio_version: str) -> None:
    """Screen the bio ``bio_version`` of ``user_id``, unless the user changed it again meanwhile (that version has a
    job of its own) or is gone."""
    rows = await _sql(
        "SELECT id, bio, bio_version FROM users WHERE id = {} AND bio_version = {} AND is_active",
        parse_id(user_id), parse_id(bio_version),
    )  # fmt: skip
    if not rows:
        return
    row = rows[0]
    subject = screening.Subject("bio", row["bio_version"], row["id"], row["bio"])
    await screening.screen(subject, get_settings(), repeats=0)


# Chat messages to strangers ----------------------------------------------------------------------------------------


async def has_stranger(sender_id: str, recipient_ids: list[str]) -> bool:
    """Is any recipient a stranger to the sender: someone who neither follows the sender nor is their friend (one
    query)? Following is the recipient's own choice to hear from the sender; the sender following the recipient
    does not count."""
    if not recipient_ids:
        return False
    rows = await _sql(
        """
        SELECT EXISTS (
          SELECT 1 FROM unnest({}::uuid[]) AS r(id)
          WHERE NOT EXISTS (SELECT 1 FROM follows WHERE follower = r.id AND followee = {})
            AND NOT EXISTS (SELECT 1 FROM friendships WHERE owner = r.id AND friend = {})
        ) AS found
        """,
        [uuid.UUID(recipient) for recipient in recipient_ids], uuid.UUID(sender_id), uuid.UUID(sender_id),
    )  # fmt: skip
    return bool(rows[0]["found"])


@subscriber("chat.message_created")
async def on_chat_message_created(event: ChatMessageCreated) -> None:
    """Screen the message when it went to at least one stranger (in a direct chat: the other person; in a group: any
    member other than the sender), judged from the social graph when this runs, just after the message was sent."""
    if await has_stranger(event.sender_id, event.recipient_ids):
        await jobs.enqueue(screen_message, key=f"screen_message:{event.message_id}", message_id=event.message_id)


@jobs.job(timeout=120, retries=2)
async def screen_message(ctx: dict[str, Any], *, message_id: str) -> None:
    """Screen a chat message; once it is on hold, the other members are told to drop it (it was delivered live)."""
    rows = await _sql(
        """
        SELECT x.id, x.sender, x.content,
          (SELECT count(*) FROM chat_messages same WHERE same.sender = x.sender AND same.content = x.content
             AND same.deleted_at IS NULL AND same.created_at > now() - interval '1 day') AS repeats
        FROM chat_messages x WHERE x.id = {} AND x.kind = 'text' AND x.deleted_at IS NULL AND x.sender IS NOT NULL
        """,
        parse_id(message_id),
    )
    if not rows:
        return  # deleted (or its sender's account purged) before it was screened
    row = rows[0]
    subject = screening.Subject("message", row["id"], row["sender"], row["content"])
    flag = await screening.screen(subject, get_settings(), repeats=int(row["repeats"]))
    if flag is not None and flag.hide:
        await chat_messages.withdraw_held(row["id"])
