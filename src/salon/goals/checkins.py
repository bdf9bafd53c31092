# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""Check-ins: progress (amount goals accumulate, boolean goals complete), streaks per participant in their own time
zone, memories (a check-in shared as a post), completion, and the history.

A check-in locks its goal row, so check-ins on one goal serialise: the completing check-in is exactly the one whose
value reaches the target, and completion is announced once.
"""

from __future__ import annotations

import uuid
from typing import Any

from salon.goals import days, store
from salon.goals.events import GoalCheckedIn, GoalCompleted, GoalCompletedNotice
from salon.goals.schemas import CheckinCreate, CheckinResult, CheckinView
from salon.lib import events
from salon.lib.auth import Viewer
from salon.lib.db import unit_of_work
from salon.lib.errors import Conflict, ValidationFailed
from salon.lib.ids import new_id
from salon.lib.pagination import Page, decode_cursor, split_page
from salon.media import services as media
from salon.posts import services as posts
from salon.posts.schemas import PostCreate
from salon.settings import Settings
from salon.social.services import find_user, users_by_id

POST_VISIBILITY = {"public": "public", "friends": "friends", "private": "private"}  # goal -> memory post


def _value(goal: dict[str, Any], value: float | None) -> float | None:
    if goal["target_type"] == "amount" and value is None:
        unit = f" (in {goal['unit']})" if goal["unit"] else ""
        raise ValidationFailed(f"This is an amount goal: a check-in needs a value{unit}.", extra={"field": "value"})
    if goal["target_type"] == "boolean" and value is not None:
        raise ValidationFailed(
            "This is a done/not-done goal: a check-in completes it and takes no value.", extra={"field": "value"}
        )
    return value


def _reaches_target(goal: dict[str, Any], progress: float) -> bool:
    if goal["target_type"] == "boolean":
        return True
    return goal["target_type"] == "amount" and goal["target_value"] is not None and progress >= goal["target_value"]


async def check_in(viewer: Viewer, goal_id: str, body: CheckinCreate, settings: Settings) -> CheckinResult:
    """Record progress on a goal the viewer takes part in (owner or member) while it is active."""
    if body.media_ids and not body.share:
        raise ValidationFailed(
            "Images are shown on the memory post: send share: true with media_ids, or leave media_ids out.",
            extra={"field": "media_ids"},
        )
    async with unit_of_work():
        seen = await store.see_goal(goal_id, viewer.uuid, lock=True)
        me = seen.require_contributor()
        goal = seen.goal
        if goal["status"] != "active":
            raise Conflict(f"This goal is {goal['status']}; check-ins are only recorded on active goals.")
        value = _value(goal, body.value)
        moment = days.now()
        day = days.local_day(moment, me["timezone"])
        media_ids = await media.usable_media(viewer.uuid, body.media_ids)
        checkin = await _insert_checkin(seen.id, viewer.uuid, value, body.note.strip(), media_ids, day, moment)
        await _advance_participant(me, value or 0.0, day, moment)
        completes = _reaches_target(goal, goal["progress"] + (value or 0.0))
        goal = await _advance_goal(seen.id, value or 0.0, viewer.uuid if completes else None, moment)
        if body.share:
            checkin["post_id"] = await _share(viewer, goal, checkin, settings)
        await _announce_checkin(goal, checkin, await store.participant_row(seen.id, viewer.uuid))
        if completes:
            await announce_completion(goal, str(viewer.uuid))
    seen = await store.see_goal(goal_id, viewer.uuid)
    users = await users_by_id([viewer.uuid])
    return CheckinResult(checkin=store.checkin_view(checkin, users), goal=await store.goal_view(seen))


async def _insert_checkin(
    goal_id: uuid.UUID,
    user_id: uuid.UUID,
    value: float | None,
    note: str,
    media_ids: list[uuid.UUID],
    day: Any,
    moment: Any,
) -> dict[str, Any]:
    rows = await store.sql(
        """
        INSERT INTO goal_checkins (id, goal, "user", value, note, media_ids, local_day, created_at)
        VALUES ({}, {}, {}, {}, {}, {}::uuid[], {}, {})
        RETURNING id, goal, "user", value, note, media_ids, local_day, created_at, NULL::uuid AS post_id
        """,
        new_id(), goal_id, user_id, value, note, media_ids, day, moment,
    )  # fmt: skip
    return rows[0]


async def _advance_participant(me: dict[str, Any], value: float, day: Any, moment: Any) -> None:
    streak = days.next_streak(me["current_streak"], me["last_checkin_day"], day)
    await store.sql(
        """
        UPDATE goal_participants SET progress = progress + {}, checkin_count = checkin_count + 1,
          current_streak = {}, longest_streak = GREATEST(longest_streak, {}), last_checkin_at = {},
          last_checkin_day = GREATEST(last_checkin_day, {})
        WHERE id = {}
        """,
        value, streak, streak, moment, day, me["id"],
    )  # fmt: skip


async def _advance_goal(
    goal_id: uuid.UUID, value: float, completed_by: uuid.UUID | None, moment: Any
) -> dict[str, Any]:
    rows = await store.sql(
        f"""
        UPDATE goals g SET progress = progress + {{}}, checkin_count = checkin_count + 1, updated_at = {{}},
          status = CASE WHEN {{}}::uuid IS NULL THEN status ELSE 'completed' END,
          completed_at = CASE WHEN {{}}::uuid IS NULL THEN completed_at ELSE {{}} END,
          completed_by = coalesce({{}}::uuid, completed_by)
        WHERE id = {{}} RETURNING {store.GOAL_COLUMNS}
        """,
        value, moment, completed_by, completed_by, moment, completed_by, goal_id,
    )  # fmt: skip
    return rows[0]


def memory_text(goal: dict[str, Any], checkin: dict[str, Any]) -> str:
    """The memory post's text: the goal and the progress, then the participant's note."""
    unit = f" {goal['unit']}" if goal["unit"] else ""
    if goal["target_type"] == "amount":
        line = f"+{_number(checkin['value'])}{unit} on “{goal['title']}” ({_number(goal['progress'])}/"
        line += f"{_number(goal['target_value'])}{unit})"
    elif goal["target_type"] == "boolean":
        line = f"Done: “{goal['title']}”"
    else:
        line = f"Checked in on “{goal['title']}” (target {goal['target_date'].isoformat()})"
    return f"{line}\n\n{checkin['note']}" if checkin["note"] else line


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


async def _share(viewer: Viewer, goal: dict[str, Any], checkin: dict[str, Any], settings: Settings) -> uuid.UUID:
    """Create the memory post (through the posts service, so it flows through feeds like any post) and link it."""
    body = PostCreate(
        content=memory_text(goal, checkin), visibility=POST_VISIBILITY[goal["visibility"]],  # type: ignore[arg-type]
        media_ids=[str(media_id) for media_id in checkin["media_ids"]],
    )  # fmt: skip
    post_id = await posts.create_post(viewer, body, settings)
    await store.sql(
        "INSERT INTO goal_memories (id, goal, checkin, author, post_id, created_at) VALUES ({}, {}, {}, {}, {}, now())",
        new_id(), goal["id"], checkin["id"], viewer.uuid, post_id,
    )  # fmt: skip
    return post_id


async def _announce_checkin(goal: dict[str, Any], checkin: dict[str, Any], me: dict[str, Any] | None) -> None:
    if me is None:
        return
    users = await users_by_id([me["user"]])
    event = GoalCheckedIn(
        goal_id=str(goal["id"]), checkin=store.checkin_view(checkin, users),
        participant=store.participant_view(me, users), progress=goal["progress"], checkin_count=goal["checkin_count"],
    )  # fmt: skip
    await events.publish("goal_checkin", event, await store.participant_ids(goal["id"]))


async def announce_completion(goal: dict[str, Any], completed_by: str) -> None:
    """Tell every participant's stream, and have notifications tell the others (``goal.completed``)."""
    participants = await store.participant_ids(goal["id"])
    notice = GoalCompletedNotice(
        goal_id=str(goal["id"]), title=goal["title"], progress=goal["progress"], completed_at=goal["completed_at"],
        completed_by=completed_by,
    )  # fmt: skip
    await events.publish("goal_completed", notice, participants)
    completed = GoalCompleted(str(goal["id"]), completed_by, participants, goal["completed_at"])
    await events.emit("goal.completed", completed)


# History ----------------------------------------------------------------------------------------------------------


async def history(
    viewer_id: uuid.UUID, goal_id: str, username: str | None, cursor: str | None, limit: int
) -> Page[CheckinView]:
    """Check-ins on a goal the viewer can see, newest first; ``username`` narrows to one participant."""
    seen = await store.see_goal(goal_id, viewer_id)
    user_id = (await find_user(username))["id"] if username else None
    after = decode_cursor(cursor, uuid.UUID)
    rows = await store.sql(
        f"""
        SELECT {store.CHECKIN_COLUMNS} FROM goal_checkins c LEFT JOIN goal_memories m ON m.checkin = c.id
        WHERE c.goal = {{}} AND ({{}}::uuid IS NULL OR c."user" = {{}}) AND ({{}}::uuid IS NULL OR c.id < {{}})
        ORDER BY c.id DESC LIMIT {{}}
        """,
        seen.id, user_id, user_id, after and after[0], after and after[0], limit + 1,
    )  # fmt: skip
    rows, next_cursor = split_page(rows, limit, lambda row: (str(row["id"]),))
    return Page(items=await store.checkin_views(rows), next_cursor=next_cursor)
