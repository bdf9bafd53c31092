# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""Reading goals as a viewer sees them, and turning rows into API views (a fixed number of queries per page).

Who sees a goal: its participants (any role) and people with a pending invitation; everyone else only when the goal
is ``public`` and no block stands between them and the owner. Anyone else gets the same 404 as for a goal that does
not exist, so a friends-only or private goal never leaks its existence.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from salon.goals import days
from salon.goals.schemas import CheckinView, GoalView, ParticipantView
from salon.goals.tables import Goal
from salon.lib.errors import Forbidden, NotFound, clipped
from salon.lib.ids import require_id
from salon.social.services import blocked_sql, users_by_id

GOAL_COLUMNS = (
    "g.id, g.owner, g.title, g.description, g.target_type, g.target_value, g.unit, g.target_date, g.visibility, "
    "g.status, g.progress, g.checkin_count, g.participant_count, g.completed_at, g.completed_by, g.archived_at, "
    "g.created_at, g.updated_at"
)
PARTICIPANT_COLUMNS = (
    'p.id, p.goal, p."user", p.role, p.progress, p.checkin_count, p.current_streak, p.longest_streak, '
    "p.last_checkin_at, p.last_checkin_day, p.joined_at, p.nudges_muted, p.coach_nudges, u.timezone"
)
CHECKIN_COLUMNS = 'c.id, c.goal, c."user", c.value, c.note, c.media_ids, c.local_day, c.created_at, m.post_id'


async def sql(query: str, *args: Any) -> list[dict[str, Any]]:
    return await Goal.raw(query, *args)


def not_found(goal_id: str) -> NotFound:
    return NotFound(f"There is no goal {clipped(goal_id)!r} that you can see.")


@dataclass(frozen=True)
class Seen:
    """A goal as one viewer sees it: the goal row, the viewer's participant row (if any), a pending invitation."""

    goal: dict[str, Any]
    me: dict[str, Any] | None
    invite_role: str | None
    viewer_id: uuid.UUID
    viewer_timezone: str

    @property
    def id(self) -> uuid.UUID:
        return self.goal["id"]

    @property
    def role(self) -> str | None:
        return self.me["role"] if self.me else None

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    def require_owner(self, action: str) -> None:
        if not self.is_owner:
            raise Forbidden(f"Only the goal's owner can {action}.")

    def require_contributor(self) -> dict[str, Any]:
        """The viewer's participant row when they may check in (owner or member)."""
        if self.me is None:
            raise Forbidden("Join this goal before checking in (POST /api/v1/goals/{id}/join).")
        if self.me["role"] == "viewer":
            raise Forbidden("Viewers follow a goal's progress but cannot check in; ask to be invited as a member.")
        return self.me


async def see_goal(goal_id: str, viewer_id: uuid.UUID, *, lock: bool = False) -> Seen:
    """The goal if the viewer may see it, else 404 (also for a malformed id). ``lock`` locks the goal row."""
    parsed = require_id(goal_id, lambda: not_found(goal_id))
    goals = await sql(f"SELECT {GOAL_COLUMNS} FROM goals g WHERE g.id = {{}} {'FOR UPDATE' if lock else ''}", parsed)
    if not goals:
        raise not_found(goal_id)
    goal = goals[0]
    rows = await sql(
        f"""
        WITH owner AS (SELECT {{}}::uuid AS id)
        SELECT u.timezone AS viewer_timezone,
          (SELECT role FROM goal_invites WHERE goal = {{}} AND invitee = u.id) AS invite_role,
          {blocked_sql("u.id", "(SELECT id FROM owner)")} AS blocked
        FROM users u WHERE u.id = {{}}
        """,
        goal["owner"], parsed, viewer_id,
    )  # fmt: skip
    viewer: dict[str, Any] = rows[0] if rows else {"viewer_timezone": "UTC", "invite_role": None, "blocked": True}
    me = await participant_row(parsed, viewer_id)
    seen = Seen(goal, me, viewer["invite_role"], viewer_id, viewer["viewer_timezone"])
    if me is None and viewer["invite_role"] is None and (goal["visibility"] != "public" or viewer["blocked"]):
        raise not_found(goal_id)
    return seen


async def participant_row(goal_id: uuid.UUID, user_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any] | None:
    rows = await sql(
        f"""SELECT {PARTICIPANT_COLUMNS} FROM goal_participants p JOIN users u ON u.id = p."user"
        WHERE p.goal = {{}} AND p."user" = {{}} {"FOR UPDATE OF p" if lock else ""}""",
        goal_id, user_id,
    )  # fmt: skip
    return rows[0] if rows else None


async def participant_rows(goal_id: uuid.UUID) -> list[dict[str, Any]]:
    return await sql(
        f'SELECT {PARTICIPANT_COLUMNS} FROM goal_participants p JOIN users u ON u.id = p."user" WHERE p.goal = {{}}',
        goal_id,
    )


async def participant_ids(goal_id: uuid.UUID) -> list[str]:
    rows = await sql('SELECT "user" FROM goal_participants WHERE goal = {}', goal_id)
    return [str(row["user"]) for row in rows]


# Views ------------------------------------------------------------------------------------------------------------


def participant_view(row: dict[str, Any], users: dict[uuid.UUID, Any]) -> ParticipantView:
    today = days.today(row["timezone"])
    return ParticipantView(
        user=users[row["user"]],
        role=row["role"],
        progress=row["progress"],
        checkin_count=row["checkin_count"],
        current_streak=days.current_streak(row["current_streak"], row["last_checkin_day"], today),
        longest_streak=row["longest_streak"],
        last_checkin_at=row["last_checkin_at"],
        joined_at=row["joined_at"],
    )


async def participant_views(rows: list[dict[str, Any]]) -> list[ParticipantView]:
    users = await users_by_id(row["user"] for row in rows)
    return [participant_view(row, users) for row in rows if row["user"] in users]


async def goal_views(goals: list[dict[str, Any]], viewer_id: uuid.UUID, viewer_timezone: str) -> list[GoalView]:
    """Views of ``goals`` for the viewer: owners, the viewer's participation and invitations (three queries)."""
    if not goals:
        return []
    ids = [goal["id"] for goal in goals]
    mine = await sql(
        f"""SELECT {PARTICIPANT_COLUMNS} FROM goal_participants p JOIN users u ON u.id = p."user"
        WHERE p.goal = ANY({{}}::uuid[]) AND p."user" = {{}}""",
        ids, viewer_id,
    )  # fmt: skip
    invites = await sql("SELECT goal FROM goal_invites WHERE goal = ANY({}::uuid[]) AND invitee = {}", ids, viewer_id)
    users = await users_by_id([goal["owner"] for goal in goals] + [viewer_id])
    by_goal = {row["goal"]: row for row in mine}
    invited = {row["goal"] for row in invites}
    today = days.today(viewer_timezone)
    return [
        _goal_view(goal, users, by_goal.get(goal["id"]), goal["id"] in invited, today)
        for goal in goals
        if goal["owner"] in users
    ]


async def goal_view(seen: Seen) -> GoalView:
    return (await goal_views([seen.goal], seen.viewer_id, seen.viewer_timezone))[0]


def _goal_view(
    goal: dict[str, Any], users: dict[uuid.UUID, Any], me: dict[str, Any] | None, invited: bool, today: Any
) -> GoalView:
    return GoalView(
        id=str(goal["id"]),
        owner=users[goal["owner"]],
        title=goal["title"],
        description=goal["description"],
        target_type=goal["target_type"],
        target_value=goal["target_value"],
        unit=goal["unit"],
        target_date=goal["target_date"],
        days_left=days.days_left(goal["target_date"], today) if goal["target_type"] == "date" else None,
        visibility=goal["visibility"],
        status=goal["status"],
        progress=goal["progress"],
        checkin_count=goal["checkin_count"],
        participant_count=goal["participant_count"],
        completed_at=goal["completed_at"],
        archived_at=goal["archived_at"],
        created_at=goal["created_at"],
        updated_at=goal["updated_at"],
        viewer_role=me["role"] if me else None,
        invited=invited,
        me=participant_view(me, users) if me and me["user"] in users else None,
    )


async def checkin_views(rows: list[dict[str, Any]]) -> list[CheckinView]:
    users = await users_by_id(row["user"] for row in rows)
    return [checkin_view(row, users) for row in rows if row["user"] in users]


def checkin_view(row: dict[str, Any], users: dict[uuid.UUID, Any]) -> CheckinView:
    return CheckinView(
        id=str(row["id"]),
        goal_id=str(row["goal"]),
        user=users[row["user"]],
        value=row["value"],
        note=row["note"],
        media_ids=[str(media_id) for media_id in row["media_ids"] or []],
        local_day=row["local_day"],
        created_at=row["created_at"],
        post_id=str(row["post_id"]) if row.get("post_id") else None,
    )
