"""Nudges: a cron job finds owners and members of active goals with no check-in (or, before their first, since
joining) for ``SALON_GOAL_NUDGE_AFTER_DAYS`` days, and not nudged within that time either. Each gets a
``goal.nudged`` domain event (notifications turns it into a ``goal_nudge``); those who opted in (``coach``) also get a
short message from the model in their coach conversation for the goal, written by batched jobs within their daily
AI quota. A muted goal is never nudged.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from salon.ai import proactive, quota
from salon.ai.context import COACH_SYSTEM_PROMPT
from salon.ai.provider import ProviderError, Turn, get_provider
from salon.goals import coach, days, store
from salon.goals.events import GoalNudged
from salon.lib import events, jobs
from salon.lib.db import unit_of_work
from salon.settings import Settings

log = logging.getLogger("salon.goals.nudges")

SCAN_BATCH = 500  # participants marked per transaction
NUDGE_MAX_TOKENS = 200
NUDGE_TASK = (
    "The user has not checked in on the goal of this conversation for {idle} day(s). Write them one short, warm "
    "message (at most three sentences) that names the goal, reflects their progress so far and suggests one small "
    "step they could take today. Do not scold."
)


async def nudge_idle_participants(settings: Settings) -> int:
    """Nudge every idle participant once per idle spell; returns how many were nudged."""
    total = 0
    while True:
        nudged = await _nudge_batch(settings)
        total += len(nudged)
        coached = [[str(row["goal"]), str(row["user"])] for row in nudged if row["coach_nudges"]]
        for start in range(0, len(coached), settings.goal_nudge_batch_size):
            await jobs.enqueue("write_coach_nudges", pairs=coached[start : start + settings.goal_nudge_batch_size])
        if len(nudged) < SCAN_BATCH:
            return total


async def _nudge_batch(settings: Settings) -> list[dict[str, Any]]:
    moment = days.now()
    cutoff = moment - timedelta(days=settings.goal_nudge_after_days)
    async with unit_of_work():
        rows = await store.sql(
            """
            UPDATE goal_participants p SET last_nudged_at = {}
            FROM goals g
            WHERE g.id = p.goal AND p.id IN (
              SELECT i.id FROM goal_participants i JOIN goals ig ON ig.id = i.goal JOIN users u ON u.id = i."user"
              WHERE NOT i.nudges_muted AND i.role <> 'viewer' AND coalesce(i.last_checkin_at, i.joined_at) < {}
                AND (i.last_nudged_at IS NULL OR i.last_nudged_at < {}) AND ig.status = 'active' AND u.is_active
              ORDER BY i.id LIMIT {} FOR UPDATE OF i SKIP LOCKED
            )
            RETURNING p.goal, p."user", p.coach_nudges, g.owner, coalesce(p.last_checkin_at, p.joined_at) AS since
            """,
            moment, cutoff, cutoff, SCAN_BATCH,
        )  # fmt: skip
        for row in rows:
            idle = (moment - row["since"]).days
            nudge = GoalNudged(str(row["goal"]), str(row["user"]), str(row["owner"]), idle)
            await events.emit("goal.nudged", nudge)
    return rows


async def write_coach_nudges(pairs: list[list[str]], settings: Settings) -> None:
    """A coach message for each ``[goal_id, user_id]`` (one batch of a nudge run). A user over today's AI budget, or
    a failing model, gets the notification alone; nothing here is retried, so no message is ever written twice."""
    for goal_id, user_id in pairs:
        usage = await quota.usage_today(user_id, settings)
        if usage.remaining_tokens <= 0:
            log.info("coach nudge skipped: AI budget used", extra={"user_id": user_id, "goal_id": goal_id})
            continue
        try:
            await _write_coach_nudge(uuid.UUID(goal_id), uuid.UUID(user_id))
        except ProviderError as exc:
            log.warning("coach nudge not written (%s)", exc.code, extra={"user_id": user_id, "goal_id": goal_id})


async def _write_coach_nudge(goal_id: uuid.UUID, user_id: uuid.UUID) -> None:
    participant = await store.participant_row(goal_id, user_id)
    goals = await store.sql("SELECT title, status FROM goals WHERE id = {}", goal_id)
    if participant is None or not goals or goals[0]["status"] != "active":
        return  # left the goal or it ended since the scan
    conversation_id = await coach.ensure_coach_conversation(goal_id, user_id, goals[0]["title"])
    context = await coach.goals_context({"id": conversation_id, "owner": user_id})
    since = participant["last_checkin_at"] or participant["joined_at"]
    task = NUDGE_TASK.format(idle=(days.now() - since).days)
    provider = await get_provider()
    text, usage = await provider.complete(
        [Turn(role="user", text=task)], system=f"{COACH_SYSTEM_PROMPT}\n\n{context}", max_tokens=NUDGE_MAX_TOKENS
    )
    if not text:
        return
    async with unit_of_work():
        await proactive.add_model_message(conversation_id, text, usage)
        await quota.record(str(user_id), usage)
