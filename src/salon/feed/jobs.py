"""The feed's work in the worker: fan-out and affinity from domain events, and the trending cron.

Subscribers are idempotent: timeline writes are ZADDs of fixed members, affinity signals count once per signal key.
The four that write home timelines (fan-out and backfill) run on the ``timelines`` job queue, where nothing else
queues ahead of them; affinity counters and the cron stay on the default queue.
"""

from __future__ import annotations

from typing import Any

from salon.feed import fanout, feedback, trending
from salon.lib.events import subscriber
from salon.lib.jobs import TIMELINES_QUEUE, cron
from salon.posts.events import PostCreated, PostLiked, PostQuoted, PostReplied, PostReposted
from salon.settings import get_settings
from salon.social.events import FriendAccepted, UserFollowed


@subscriber("post.created", queue=TIMELINES_QUEUE)
async def fan_out_post(event: PostCreated) -> None:
    await fanout.fan_out_post(event, get_settings())


@subscriber("post.reposted", queue=TIMELINES_QUEUE)
async def fan_out_repost(event: PostReposted) -> None:
    await fanout.fan_out_repost(event, get_settings())


@subscriber("user.followed", queue=TIMELINES_QUEUE)
async def backfill_follow(event: UserFollowed) -> None:
    await fanout.backfill_follow(event, get_settings())


@subscriber("friend.accepted", queue=TIMELINES_QUEUE)
async def backfill_friendship(event: FriendAccepted) -> None:
    await fanout.backfill_friendship(event, get_settings())


@subscriber("post.liked")
async def affinity_from_like(event: PostLiked) -> None:
    await feedback.engaged(event.actor_id, event.post_author_id, "like", event.post_id, get_settings())


@subscriber("post.replied")
async def affinity_from_reply(event: PostReplied) -> None:
    await feedback.engaged(event.author_id, event.reply_to_author_id, "reply", event.post_id, get_settings())


@subscriber("post.reposted")
async def affinity_from_repost(event: PostReposted) -> None:
    await feedback.engaged(event.actor_id, event.post_author_id, "repost", event.post_id, get_settings())


@subscriber("post.quoted")
async def affinity_from_quote(event: PostQuoted) -> None:
    await feedback.engaged(event.author_id, event.quote_of_author_id, "quote", event.post_id, get_settings())


@cron("* * * * *", timeout=60)
async def refresh_trending(ctx: dict[str, Any]) -> None:
    """Recompute trending hashtags every minute."""
    await trending.refresh(get_settings())
