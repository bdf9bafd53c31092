"""Fan-out on write: new posts and reposts go into the timelines of the people who should see them.

Runs in the worker (domain-event subscribers in ``salon.feed.jobs``). Authors above ``feed_fanout_max_followers``
are not fanned out (one post would mean that many writes); their followers' feeds read them from Postgres at read
time (``timeline.celebrity_entries``). Every write is idempotent (ZADD of the same member and score), so a retried
event changes nothing.
"""

from __future__ import annotations

import uuid

from salon.feed import timeline
from salon.feed.timeline import Entry, epoch_ms
from salon.lib.valkey import ScriptCall
from salon.posts.events import PostCreated, PostReposted
from salon.settings import Settings
from salon.social.events import FriendAccepted, UserFollowed

FOLLOW_BACKFILL = 50  # a new followee's latest entries merged into the follower's timeline


async def fan_out_post(event: PostCreated, settings: Settings) -> int:
    """Push a new post into its audience's timelines. Returns how many timelines were addressed."""
    author = uuid.UUID(event.author_id)
    entry = Entry(uuid.UUID(event.post_id), None, epoch_ms(event.created_at))
    recipients = await timeline.audience(author, event.visibility, settings)
    await timeline.push(recipients, [entry], settings)
    return len(recipients)


def author_push(event: PostCreated, settings: Settings) -> ScriptCall:
    """For the request that created it, right after commit: the author's own timeline gets the post at once, so their
    next feed read shows it (read-your-writes) whatever the fan-out job's delay. The job adds it again (idempotent).
    A script call: the create sends it in one pipeline with its jobs (``salon.lib.jobs.batch``)."""
    entry = Entry(uuid.UUID(event.post_id), None, epoch_ms(event.created_at))
    return timeline.push_call([event.author_id], [entry], settings, f"author's timeline push of post {event.post_id}")


async def fan_out_repost(event: PostReposted, settings: Settings) -> int:
    """Push a repost into the timelines of the reposter and their followers (only public posts can be reposted)."""
    reposter = uuid.UUID(event.actor_id)
    entry = Entry(uuid.UUID(event.post_id), reposter, epoch_ms(event.created_at))
    recipients = await timeline.audience(reposter, "public", settings)
    await timeline.push(recipients, [entry], settings)
    return len(recipients)


async def backfill_friendship(event: FriendAccepted, settings: Settings) -> None:
    """New friends see each other's earlier friends-only posts at once (following already brought in the rest)."""
    first, second = uuid.UUID(event.sender_id), uuid.UUID(event.accepter_id)
    for owner, friend in ((first, second), (second, first)):
        entries = await timeline.friends_only_entries(friend, FOLLOW_BACKFILL)
        await timeline.push([owner], entries, settings)


async def backfill_follow(event: UserFollowed, settings: Settings) -> None:
    """Following someone brings their latest posts into the follower's timeline at once (unless they are above the
    fan-out threshold: those are merged at read time anyway)."""
    followee = uuid.UUID(event.followee_id)
    entries = await timeline.author_entries(followee, FOLLOW_BACKFILL, settings)
    await timeline.push([event.follower_id], entries, settings)
