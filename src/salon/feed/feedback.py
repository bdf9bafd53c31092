"""Signals that shape the ranked feed: explicit feedback, and engagement the viewer shows towards authors."""

from __future__ import annotations

import uuid

from salon.feed import affinity, timeline
from salon.feed.schemas import Feedback
from salon.posts.services import visible_post_row
from salon.settings import Settings


async def give_feedback(viewer_id: uuid.UUID, body: Feedback, settings: Settings) -> None:
    """``show_more``/``show_less`` raise or lower the viewer's affinity with the post's author (once per post and
    signal); ``show_less`` and ``seen`` also mark the post as seen, which the ranked feed down-weights. 404 for a
    post the viewer may not see."""
    post = await visible_post_row(body.post_id, viewer_id)
    author = str(post["author"])
    if body.signal == "show_more":
        await affinity.add(str(viewer_id), author, settings.feed_affinity_show_more, f"more:{post['id']}", settings)
    elif body.signal == "show_less":
        await affinity.add(str(viewer_id), author, settings.feed_affinity_show_less, f"less:{post['id']}", settings)
    if body.signal in ("show_less", "seen"):
        await affinity.mark_seen(viewer_id, post["id"])
    await timeline.count_change(viewer_id, settings)


async def engaged(actor_id: str, author_id: str, kind: str, post_id: str, settings: Settings) -> None:
    """``actor_id`` liked / replied to / reposted / quoted ``author_id``'s post ``post_id`` (from domain events)."""
    amount = {
        "like": settings.feed_affinity_like,
        "reply": settings.feed_affinity_reply,
        "repost": settings.feed_affinity_repost,
        "quote": settings.feed_affinity_repost,
    }[kind]
    await affinity.add(actor_id, author_id, amount, f"{kind}:{post_id}", settings)
