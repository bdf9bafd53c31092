"""Moderation in the worker: every new post (replies included) is screened by its own job, so a slow or failing model
never delays the other subscribers of ``post.created``, and never the HTTP response."""

from __future__ import annotations

from typing import Any

from salon.lib import jobs
from salon.lib.events import subscriber
from salon.lib.ids import parse_id
from salon.moderation import screening
from salon.moderation.tables import ModerationItem
from salon.posts.events import PostCreated
from salon.settings import get_settings


@subscriber("post.created")
async def on_post_created(event: PostCreated) -> None:
    await jobs.enqueue(screen_post, key=f"screen_post:{event.post_id}", post_id=event.post_id)


@jobs.job(timeout=120, retries=2)
async def screen_post(ctx: dict[str, Any], *, post_id: str) -> None:
    parsed = parse_id(post_id)
    rows = await ModerationItem.raw(
        """
        SELECT p.id, p.author, p.content,
          (SELECT count(*) FROM posts same WHERE same.author = p.author AND same.content = p.content
             AND same.deleted_at IS NULL AND same.created_at > now() - interval '1 day') AS repeats
        FROM posts p WHERE p.id = {} AND p.deleted_at IS NULL
        """,
        parsed,
    )
    if not rows:
        return  # deleted before it was screened
    row = rows[0]
    subject = screening.Subject("post", row["id"], row["author"], row["content"])
    await screening.screen(subject, get_settings(), repeats=int(row["repeats"]))
