"""Notifications hang off domain events: each subscriber runs in the worker, after the action's transaction committed.

Subscribers must be idempotent (a failed job re-runs every handler of its event); ``services.notify`` and
``services.withdraw`` are.
"""

from __future__ import annotations

from dataclasses import replace

from salon.ai.events import ConversationForked
from salon.chat.events import ChatMessageCreated
from salon.goals.events import GoalCompleted, GoalInvited, GoalNudged
from salon.lib.events import subscriber
from salon.moderation.events import ModerationDecided
from salon.notifications.services import Activity, notify, withdraw, withdraw_about_post
from salon.posts.events import (
    PostDeleted,
    PostLiked,
    PostQuoted,
    PostReplied,
    PostReposted,
    PostUnliked,
    PostUnreposted,
    UserMentioned,
)
from salon.realtime.presence import active_user_ids
from salon.social.events import FriendAccepted, FriendRequested, UserFollowed, UserUnfollowed


@subscriber("post.liked")
async def on_post_liked(event: PostLiked) -> None:
    like = Activity("like", event.post_author_id, event.actor_id, f"like:{event.post_id}", event.post_id)
    await notify(replace(like, at=event.created_at))


@subscriber("post.unliked")
async def on_post_unliked(event: PostUnliked) -> None:
    await withdraw(recipient=event.post_author_id, actor=event.actor_id, group_key=f"like:{event.post_id}")


@subscriber("post.reposted")
async def on_post_reposted(event: PostReposted) -> None:
    await notify(
        Activity(
            "repost", event.post_author_id, event.actor_id, f"repost:{event.post_id}", event.post_id,
            at=event.created_at,
        )
    )  # fmt: skip


@subscriber("post.unreposted")
async def on_post_unreposted(event: PostUnreposted) -> None:
    await withdraw(recipient=event.post_author_id, actor=event.actor_id, group_key=f"repost:{event.post_id}")


@subscriber("post.replied")
async def on_post_replied(event: PostReplied) -> None:
    await notify(
        Activity(
            "reply", event.reply_to_author_id, event.author_id, f"reply:{event.post_id}", event.post_id,
            visibility=event.visibility,
        )
    )  # fmt: skip


@subscriber("post.quoted")
async def on_post_quoted(event: PostQuoted) -> None:
    await notify(
        Activity(
            "quote", event.quote_of_author_id, event.author_id, f"quote:{event.post_id}", event.post_id,
            visibility=event.visibility,
        )
    )  # fmt: skip


@subscriber("user.mentioned")
async def on_user_mentioned(event: UserMentioned) -> None:
    await notify(
        Activity(
            "mention", event.mentioned_user_id, event.author_id, f"mention:{event.post_id}", event.post_id,
            visibility=event.visibility,
        )
    )  # fmt: skip


@subscriber("post.deleted")
async def on_post_deleted(event: PostDeleted) -> None:
    await withdraw_about_post(event.post_id)


@subscriber("user.followed")
async def on_user_followed(event: UserFollowed) -> None:
    await notify(Activity("follow", event.followee_id, event.follower_id, "follow", at=event.created_at))


@subscriber("user.unfollowed")
async def on_user_unfollowed(event: UserUnfollowed) -> None:
    await withdraw(recipient=event.followee_id, actor=event.follower_id, group_key="follow")


@subscriber("friend.requested")
async def on_friend_requested(event: FriendRequested) -> None:
    await notify(Activity("friend_request", event.recipient_id, event.sender_id, f"friend_request:{event.request_id}"))


@subscriber("friend.accepted")
async def on_friend_accepted(event: FriendAccepted) -> None:
    await notify(Activity("friend_accept", event.sender_id, event.accepter_id, f"friend_accept:{event.request_id}"))


@subscriber("goal.invited")
async def on_goal_invited(event: GoalInvited) -> None:
    await notify(Activity("goal_invite", event.invitee_id, event.inviter_id, f"goal_invite:{event.goal_id}"))


@subscriber("goal.completed")
async def on_goal_completed(event: GoalCompleted) -> None:
    for participant_id in event.participant_ids:
        await notify(
            Activity(
                "goal_completed", participant_id, event.completed_by, f"goal_completed:{event.goal_id}",
                at=event.completed_at,
            )
        )  # fmt: skip


@subscriber("goal.nudged")
async def on_goal_nudged(event: GoalNudged) -> None:
    """The actor is the goal's owner (the recipient themself on their own goal)."""
    await notify(Activity("goal_nudge", event.user_id, event.owner_id, f"goal_nudge:{event.goal_id}"))


@subscriber("ai.conversation_forked")
async def on_conversation_forked(event: ConversationForked) -> None:
    fork = Activity("ai_fork", event.post_author_id, event.forker_id, f"ai_fork:{event.post_id}", event.post_id)
    await notify(replace(fork, at=event.created_at))


@subscriber("chat.message_created")
async def on_chat_message_created(event: ChatMessageCreated) -> None:
    """Members who are not active in a client right now (offline, or idle) hear of the message: one unread group per
    chat collecting its senders. Those active see it live on their stream instead."""
    active = await active_user_ids(event.recipient_ids)
    for recipient_id in event.recipient_ids:
        if recipient_id not in active:
            message = Activity("message", recipient_id, event.sender_id, f"message:{event.chat_id}")
            await notify(replace(message, at=event.created_at))


@subscriber("moderation.decided")
async def on_moderation_decided(event: ModerationDecided) -> None:
    """The author hears of a decision against their content or account (an approval changes nothing for them), each
    reporter of the outcome of their report. Addressed from the recipient themself: moderators stay anonymous."""
    if event.author_id is not None and event.action != "approve":
        key = f"moderation:{event.action}:{event.decision_id}"
        await notify(Activity("moderation", event.author_id, event.author_id, key))
    for reporter_id in event.reporter_ids:
        key = f"report_outcome:{event.action}:{event.decision_id}"
        await notify(Activity("report_outcome", reporter_id, reporter_id, key))
