# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""Goal rules: creating and editing goals, status transitions, participants (invite, join, leave) and nudge settings.

Check-ins, streaks and completion by progress live in ``salon.goals.checkins``; what a viewer may see in
``salon.goals.store``.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from msgspec import UNSET

from salon.goals import days, store
from salon.goals.checkins import announce_completion
from salon.goals.events import GoalInvited, GoalJoined, GoalLeft
from salon.goals.schemas import (
    GoalCreate,
    GoalPatch,
    GoalView,
    InviteBody,
    InviteResult,
    NudgePatch,
    NudgeSettings,
    ParticipantView,
)
from salon.lib import events
from salon.lib.db import unit_of_work
from salon.lib.errors import Conflict, Forbidden, ValidationFailed
from salon.lib.ids import new_id
from salon.lib.pagination import Page, decode_cursor, split_page
from salon.social.services import relations, summary

# status -> the statuses it may move to (PATCH status; DELETE archives)
TRANSITIONS = {"active": {"completed", "archived"}, "completed": {"archived"}, "archived": set()}


async def _viewer_timezone(viewer_id: uuid.UUID) -> str:
    rows = await store.sql("SELECT timezone FROM users WHERE id = {}", viewer_id)
    return rows[0]["timezone"] if rows else "UTC"


def _check_target(
    target_type: str, target_value: float | None, target_date: date | None, today: date, *, new_date: bool
) -> None:
    """The target fields a goal of ``target_type`` needs, and only those; 422 naming the field otherwise."""
    if target_type == "amount" and target_value is None:
        raise ValidationFailed(
            "An amount goal needs target_value (e.g. 100 for 100 km).", extra={"field": "target_value"}
        )
    if target_type != "amount" and target_value is not None:
        raise ValidationFailed(
            f"target_value only applies to amount goals, not {target_type} goals.", extra={"field": "target_value"}
        )
    if target_type == "date" and target_date is None:
        raise ValidationFailed("A date goal needs target_date (YYYY-MM-DD).", extra={"field": "target_date"})
    if target_type != "date" and target_date is not None:
        raise ValidationFailed(
            f"target_date only applies to date goals, not {target_type} goals.", extra={"field": "target_date"}
        )
    if new_date and target_date is not None and target_date < today:
        raise ValidationFailed(
            f"target_date {target_date.isoformat()} is in the past (today is {today.isoformat()} in your time zone).",
            extra={"field": "target_date"},
        )


# Goals ------------------------------------------------------------------------------------------------------------


async def create_goal(viewer_id: uuid.UUID, body: GoalCreate) -> GoalView:
    timezone = await _viewer_timezone(viewer_id)
    _check_target(body.target_type, body.target_value, body.target_date, days.today(timezone), new_date=True)
    goal_id, moment = new_id(), days.now()
    async with unit_of_work():
        await store.sql(
            """
            INSERT INTO goals (id, owner, title, description, target_type, target_value, unit, target_date, visibility,
              status, progress, checkin_count, participant_count, created_at, updated_at)
            VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, 'active', 0, 0, 1, {}, {})
            """,
            goal_id, viewer_id, body.title.strip(), body.description.strip(), body.target_type, body.target_value,
            body.unit.strip(), body.target_date, body.visibility, moment, moment,
        )  # fmt: skip
        await _add_participant(goal_id, viewer_id, "owner")
    return await store.goal_view(await store.see_goal(str(goal_id), viewer_id))


async def _add_participant(goal_id: uuid.UUID, user_id: uuid.UUID, role: str) -> bool:
    added = await store.sql(
        """
        INSERT INTO goal_participants (id, goal, "user", role, progress, checkin_count, current_streak, longest_streak,
          nudges_muted, coach_nudges, joined_at)
        VALUES ({}, {}, {}, {}, 0, 0, 0, 0, false, false, {}) ON CONFLICT (goal, "user") DO NOTHING RETURNING id
        """,
        new_id(), goal_id, user_id, role, days.now(),
    )  # fmt: skip
    return bool(added)


async def list_goals(viewer_id: uuid.UUID, status: str | None, cursor: str | None, limit: int) -> Page[GoalView]:
    """Goals the viewer takes part in (any role), newest first; ``status`` filters."""
    after = decode_cursor(cursor, uuid.UUID)
    rows = await store.sql(
        f"""
        SELECT {store.GOAL_COLUMNS} FROM goal_participants p JOIN goals g ON g.id = p.goal
        WHERE p."user" = {{}} AND ({{}}::text IS NULL OR g.status = {{}}) AND ({{}}::uuid IS NULL OR p.goal < {{}})
        ORDER BY p.goal DESC LIMIT {{}}
        """,
        viewer_id, status, status, after and after[0], after and after[0], limit + 1,
    )  # fmt: skip
    rows, next_cursor = split_page(rows, limit, lambda row: (str(row["id"]),))
    views = await store.goal_views(rows, viewer_id, await _viewer_timezone(viewer_id))
    return Page(items=views, next_cursor=next_cursor)


async def get_goal(viewer_id: uuid.UUID, goal_id: str) -> GoalView:
    return await store.goal_view(await store.see_goal(goal_id, viewer_id))


async def update_goal(viewer_id: uuid.UUID, goal_id: str, patch: GoalPatch) -> GoalView:
    """The owner edits the goal or moves its status (active -> completed | archived, completed -> archived)."""
    async with unit_of_work():
        seen = await store.see_goal(goal_id, viewer_id, lock=True)
        seen.require_owner("edit it")
        goal = seen.goal
        if goal["status"] == "archived":
            raise Conflict("This goal is archived and can no longer be changed.")
        changes = _field_changes(goal, patch, days.today(seen.viewer_timezone))
        status = goal["status"] if patch.status is UNSET else patch.status
        if status != goal["status"] and status not in TRANSITIONS[goal["status"]]:
            raise Conflict(
                f"A {goal['status']} goal cannot become {status}: goals move from active to completed or archived, "
                "and from completed to archived.",
                extra={"field": "status"},
            )
        target = changes.get("target_value", goal["target_value"])
        if status == "active" and goal["target_type"] == "amount" and target is not None and goal["progress"] >= target:
            status = "completed"  # lowering the target below the progress reaches it
        updated = await _apply(seen.id, changes, goal["status"], status, viewer_id)
        if updated["status"] == "completed" and goal["status"] != "completed":
            await announce_completion(updated, str(viewer_id))
    return await store.goal_view(await store.see_goal(goal_id, viewer_id))


def _field_changes(goal: dict[str, Any], patch: GoalPatch, today: date) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for field in ("title", "description", "unit", "visibility", "target_value", "target_date"):
        value = getattr(patch, field)
        if value is not UNSET:
            changes[field] = value.strip() if isinstance(value, str) else value
    _check_target(
        goal["target_type"], changes.get("target_value", goal["target_value"]),
        changes.get("target_date", goal["target_date"]), today, new_date="target_date" in changes,
    )  # fmt: skip
    return changes


async def _apply(
    goal_id: uuid.UUID, changes: dict[str, Any], old_status: str, status: str, viewer_id: uuid.UUID
) -> dict[str, Any]:
    moment = days.now()
    columns = dict(changes)
    if status != old_status:
        columns["status"] = status
        columns["completed_at" if status == "completed" else "archived_at"] = moment
        if status == "completed":
            columns["completed_by"] = viewer_id
    assignments = ", ".join(f"{column} = {{}}" for column in columns)  # column names come from code, not input
    rows = await store.sql(
        f"UPDATE goals g SET {assignments}{', ' if assignments else ''}updated_at = {{}} WHERE id = {{}} "
        f"RETURNING {store.GOAL_COLUMNS}",
        *columns.values(), moment, goal_id,
    )  # fmt: skip
    return rows[0]


async def archive_goal(viewer_id: uuid.UUID, goal_id: str) -> None:
    """DELETE: the owner archives the goal (kept with its history, listed under ``status=archived``)."""
    async with unit_of_work():
        seen = await store.see_goal(goal_id, viewer_id, lock=True)
        seen.require_owner("delete it")
        if seen.goal["status"] != "archived":
            await _apply(seen.id, {}, seen.goal["status"], "archived", viewer_id)


# Participants -----------------------------------------------------------------------------------------------------


async def invite(viewer_id: uuid.UUID, goal_id: str, body: InviteBody) -> InviteResult:
    """Invite friends of the inviter (the owner or a member) to the goal; each gets a ``goal_invite`` notification."""
    async with unit_of_work():
        seen = await store.see_goal(goal_id, viewer_id, lock=True)
        if seen.role not in ("owner", "member"):
            raise Forbidden("Only the goal's owner and members can invite people.")
        if seen.goal["status"] != "active":
            raise Conflict(f"This goal is {seen.goal['status']}; invitations are only for active goals.")
        if seen.goal["visibility"] == "private":
            raise Conflict("This goal is private. Make it friends-only or public (PATCH visibility) to invite people.")
        users = await _invitable_friends(viewer_id, body.usernames)
        present = set(await store.participant_ids(seen.id))
        invited = []
        for user in users:
            if str(user["id"]) in present:
                continue
            rows = await store.sql(
                """
                INSERT INTO goal_invites (id, goal, invitee, inviter, role, created_at)
                VALUES ({}, {}, {}, {}, {}, now())
                ON CONFLICT (goal, invitee) DO UPDATE SET role = EXCLUDED.role RETURNING (xmax = 0) AS created
                """,
                new_id(), seen.id, user["id"], viewer_id, body.role,
            )  # fmt: skip
            invited.append(summary(user))
            if rows[0]["created"]:
                await events.emit("goal.invited", GoalInvited(str(seen.id), str(viewer_id), str(user["id"])))
    return InviteResult(invited=invited)


async def _invitable_friends(viewer_id: uuid.UUID, usernames: list[str]) -> list[dict[str, Any]]:
    keys = sorted({name.strip().lstrip("@").lower() for name in usernames})
    rows = await store.sql(
        "SELECT id, username, username_key, display_name, avatar_media_id FROM users "
        "WHERE username_key = ANY({}::text[]) AND is_active",
        keys,
    )
    unknown = sorted(set(keys) - {row["username_key"] for row in rows})
    if unknown:
        raise ValidationFailed(
            f"There is no user called {', '.join('@' + name for name in unknown)}.", extra={"usernames": unknown}
        )
    if any(row["id"] == viewer_id for row in rows):
        raise ValidationFailed("You cannot invite yourself.", extra={"usernames": [str(viewer_id)]})
    related = await relations(viewer_id, [row["id"] for row in rows])
    strangers = sorted(row["username"] for row in rows if not related.get(row["id"]) or not related[row["id"]].friends)
    if strangers:
        raise ValidationFailed(
            f"You can only invite friends; not friends with {', '.join('@' + name for name in strangers)}.",
            extra={"usernames": strangers, "code": "not_friends"},
        )
    return rows


async def join(viewer_id: uuid.UUID, goal_id: str) -> GoalView:
    """Join with a pending invitation (its role), or as a member of a public goal. Joining twice changes nothing."""
    async with unit_of_work():
        seen = await store.see_goal(goal_id, viewer_id, lock=True)
        if seen.me is not None:
            return await store.goal_view(seen)
        if seen.goal["status"] != "active":
            raise Conflict(f"This goal is {seen.goal['status']}; only active goals can be joined.")
        if seen.invite_role is None and seen.goal["visibility"] != "public":
            raise store.not_found(goal_id)  # unreachable for outsiders: see_goal already hid the goal
        role = seen.invite_role or "member"
        await store.sql("DELETE FROM goal_invites WHERE goal = {} AND invitee = {}", seen.id, viewer_id)
        if await _add_participant(seen.id, viewer_id, role):
            await store.sql("UPDATE goals SET participant_count = participant_count + 1 WHERE id = {}", seen.id)
            me = await store.participant_row(seen.id, viewer_id)
            joined = GoalJoined(str(seen.id), (await store.participant_views([me] if me else []))[0])
            await events.publish("goal_joined", joined, await store.participant_ids(seen.id))
    return await get_goal(viewer_id, goal_id)


async def leave(viewer_id: uuid.UUID, goal_id: str) -> None:
    """Leave a goal (or decline a pending invitation). The owner cannot leave: archive the goal instead."""
    async with unit_of_work():
        seen = await store.see_goal(goal_id, viewer_id, lock=True)
        if seen.is_owner:
            raise Conflict("The owner cannot leave their goal; archive it instead (DELETE /api/v1/goals/{id}).")
        if seen.me is None and seen.invite_role is None:
            raise Conflict("You are not taking part in this goal.")
        await store.sql("DELETE FROM goal_invites WHERE goal = {} AND invitee = {}", seen.id, viewer_id)
        if seen.me is None:
            return
        remaining = await store.participant_ids(seen.id)
        await store.sql('DELETE FROM goal_participants WHERE goal = {} AND "user" = {}', seen.id, viewer_id)
        await store.sql("UPDATE goals SET participant_count = participant_count - 1 WHERE id = {}", seen.id)
        await events.publish("goal_left", GoalLeft(str(seen.id), str(viewer_id)), remaining)


async def participants(viewer_id: uuid.UUID, goal_id: str, cursor: str | None, limit: int) -> Page[ParticipantView]:
    """Everyone on a goal the viewer can see, in the order they joined."""
    seen = await store.see_goal(goal_id, viewer_id)
    after = decode_cursor(cursor, uuid.UUID)
    rows = await store.sql(
        f"""
        SELECT {store.PARTICIPANT_COLUMNS} FROM goal_participants p JOIN users u ON u.id = p."user"
        WHERE p.goal = {{}} AND u.is_active AND ({{}}::uuid IS NULL OR p.id > {{}}) ORDER BY p.id LIMIT {{}}
        """,
        seen.id, after and after[0], after and after[0], limit + 1,
    )  # fmt: skip
    rows, next_cursor = split_page(rows, limit, lambda row: (str(row["id"]),))
    return Page(items=await store.participant_views(rows), next_cursor=next_cursor)


async def update_nudges(viewer_id: uuid.UUID, goal_id: str, patch: NudgePatch) -> NudgeSettings:
    """Mute nudges for this goal, or opt in to a coach message with each nudge."""
    seen = await store.see_goal(goal_id, viewer_id)
    if seen.me is None or seen.me["role"] == "viewer":
        raise Conflict("Only the goal's owner and members are nudged; join as a member first.")
    muted = seen.me["nudges_muted"] if patch.muted is UNSET else patch.muted
    coach = seen.me["coach_nudges"] if patch.coach is UNSET else patch.coach
    async with unit_of_work():
        await store.sql(
            "UPDATE goal_participants SET nudges_muted = {}, coach_nudges = {} WHERE id = {}",
            muted,
            coach,
            seen.me["id"],
        )
    return NudgeSettings(muted=muted, coach=coach)
