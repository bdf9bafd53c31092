# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""The AI coach: one ``coach`` conversation per participant and goal (opened through ``salon.ai.services``), and the
goals context the ai package adds to every coach conversation's system instruction (``ai.context.context_provider``).

The context names the user's active goals (the conversation's own goal first), their progress, streaks and latest
check-ins, bounded by ``SALON_GOAL_COACH_CONTEXT_MAX_CHARS`` so prompts stay small however much history there is.
"""

from __future__ import annotations

import uuid
from typing import Any

from salon.ai import schemas as ai_schemas
from salon.ai import services as ai
from salon.ai.context import context_provider
from salon.goals import days, store
from salon.lib.auth import Viewer
from salon.lib.db import unit_of_work
from salon.lib.errors import Forbidden
from salon.lib.ids import new_id
from salon.settings import get_settings

MAX_GOALS = 5
RECENT_CHECKINS = 3
NOTE_MAX_CHARS = 200


async def open_coach(viewer: Viewer, goal_id: str) -> ai_schemas.Conversation:
    """The viewer's coach conversation for this goal, created on first use (participants only)."""
    async with unit_of_work():
        seen = await store.see_goal(goal_id, viewer.uuid)
        if seen.me is None:
            raise Forbidden("Join this goal to talk to its coach.")
        conversation_id = await ensure_coach_conversation(seen.id, viewer.uuid, seen.goal["title"])
    return await ai.get_conversation(viewer, str(conversation_id))


async def ensure_coach_conversation(goal_id: uuid.UUID, user_id: uuid.UUID, title: str) -> uuid.UUID:
    """The participant's coach conversation for the goal, created when there is none (also for nudges)."""
    async with unit_of_work():
        await store.participant_row(goal_id, user_id, lock=True)  # one opener at a time per participant
        rows = await store.sql(
            'SELECT conversation FROM goal_coaches WHERE goal = {} AND "user" = {}', goal_id, user_id
        )
        if rows:
            return rows[0]["conversation"]
        created = await ai.create_conversation(str(user_id), title=f"Coach: {title}"[:200], kind="coach")
        conversation_id = uuid.UUID(created.id)
        await store.sql(
            'INSERT INTO goal_coaches (id, goal, "user", conversation) VALUES ({}, {}, {}, {})',
            new_id(), goal_id, user_id, conversation_id,
        )  # fmt: skip
    return conversation_id


# Context ----------------------------------------------------------------------------------------------------------


@context_provider("coach")
async def goals_context(conversation: dict[str, Any]) -> str | None:
    """What the coach should know: the owner's active goals, progress, streaks and latest check-ins."""
    owner = conversation["owner"]
    focus = await store.sql("SELECT goal FROM goal_coaches WHERE conversation = {}", conversation["id"])
    goals = await _active_goals(owner, focus[0]["goal"] if focus else None)
    if not goals:
        return "The user has no active goals on salon yet; help them choose one and make it concrete."
    recent = await _recent_checkins(owner, [goal["id"] for goal in goals])
    timezone = goals[0]["timezone"]
    lines = [
        f"The user's active goals on salon (today is {days.today(timezone).isoformat()} in their time zone, "
        f"{timezone}). Refer to them by name and give advice specific to their progress:"
    ]
    for goal in goals:
        lines.extend(
            _describe(goal, recent.get(goal["id"], []), focused=bool(focus) and goal["id"] == focus[0]["goal"])
        )
    return _bounded("\n".join(lines), get_settings().goal_coach_context_max_chars)


async def _active_goals(owner: uuid.UUID, focus: uuid.UUID | None) -> list[dict[str, Any]]:
    return await store.sql(
        f"""
        SELECT {store.GOAL_COLUMNS}, p.role, p.progress AS my_progress, p.checkin_count AS my_checkins,
          p.current_streak, p.longest_streak, p.last_checkin_day, u.timezone
        FROM goal_participants p JOIN goals g ON g.id = p.goal JOIN users u ON u.id = p."user"
        WHERE p."user" = {{}} AND p.role <> 'viewer' AND (g.status = 'active' OR g.id = {{}})
        ORDER BY (g.id = {{}}) DESC NULLS LAST, g.id DESC LIMIT {{}}
        """,
        owner, focus, focus, MAX_GOALS,
    )  # fmt: skip


async def _recent_checkins(owner: uuid.UUID, goal_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    rows = await store.sql(
        """
        SELECT goal, value, note, local_day FROM (
          SELECT goal, value, note, local_day, id,
            row_number() OVER (PARTITION BY goal ORDER BY id DESC) AS rank
          FROM goal_checkins WHERE goal = ANY({}::uuid[]) AND "user" = {}
        ) latest WHERE rank <= {} ORDER BY goal, id DESC
        """,
        goal_ids, owner, RECENT_CHECKINS,
    )  # fmt: skip
    by_goal: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in rows:
        by_goal.setdefault(row["goal"], []).append(row)
    return by_goal


def _describe(goal: dict[str, Any], checkins: list[dict[str, Any]], *, focused: bool) -> list[str]:
    unit = f" {goal['unit']}" if goal["unit"] else ""
    if goal["target_type"] == "amount":
        share = goal["progress"] / goal["target_value"] * 100 if goal["target_value"] else 0
        target = f"{goal['progress']:g} of {goal['target_value']:g}{unit} done ({share:.0f}%)"
        if goal["participant_count"] > 1:
            target += f", {goal['my_progress']:g}{unit} of it by the user"
    elif goal["target_type"] == "date":
        left = days.days_left(goal["target_date"], days.today(goal["timezone"]))
        target = f"target date {goal['target_date'].isoformat()} ({left} days left)"
    else:
        target = "done or not done (a check-in completes it)"
    streak = days.current_streak(goal["current_streak"], goal["last_checkin_day"], days.today(goal["timezone"]))
    head = "Goal of this conversation" if focused else "Goal"
    lines = [
        f"- {head}: “{goal['title']}” ({goal['status']}; {target}; {goal['participant_count']} participant(s)). "
        f"Current streak {streak} day(s), longest {goal['longest_streak']}; {goal['my_checkins']} check-in(s)."
    ]
    if goal["description"]:
        lines.append(f"  Description: {_clip(goal['description'])}")
    for index, checkin in enumerate(checkins):
        label = "Latest check-in" if index == 0 else "Earlier check-in"
        amount = f" +{checkin['value']:g}{unit}" if checkin["value"] is not None else ""
        note = f": “{_clip(checkin['note'])}”" if checkin["note"] else ""
        lines.append(f"  {label} on {checkin['local_day'].isoformat()}{amount}{note}")
    if not checkins:
        lines.append("  No check-ins yet.")
    return lines


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= NOTE_MAX_CHARS else text[: NOTE_MAX_CHARS - 1] + "…"


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
