"""HTTP surface of goals (docs/api.md, section "Goals")."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from salon.ai import schemas as ai_schemas
from salon.goals import checkins, coach, services
from salon.goals.schemas import (
    CheckinCreate,
    CheckinResult,
    CheckinView,
    GoalCreate,
    GoalPatch,
    GoalView,
    InviteBody,
    InviteResult,
    NudgePatch,
    NudgeSettings,
    ParticipantView,
    Status,
)
from salon.lib.pagination import DEFAULT_LIMIT, Page
from salon.lib.params import Config, Limit, SignedIn

Cursor = Annotated[str | None, QueryParameter(description="next_cursor of the last page")]


class GoalController(Controller):
    path = "/goals"
    tags = ["goals"]

    @post("/", operation_id="createGoal", status_code=HTTP_201_CREATED)
    async def create(self, viewer: SignedIn, data: JSONBody[GoalCreate]) -> GoalView:
        """Create a goal; you are its owner and first participant."""
        return await services.create_goal(viewer.uuid, data)

    @get("/", operation_id="listGoals")
    async def list(
        self,
        viewer: SignedIn,
        status: Annotated[Status | None, QueryParameter(description="active, completed or archived")] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[GoalView]:
        """Goals you take part in, newest first; ``status=active|completed|archived`` filters."""
        return await services.list_goals(viewer.uuid, status, cursor, limit)

    @get("/{goal_id:str}", operation_id="getGoal")
    async def detail(self, viewer: SignedIn, goal_id: FromPath[str]) -> GoalView:
        """A goal you take part in, are invited to, or that is public (404 otherwise)."""
        return await services.get_goal(viewer.uuid, goal_id)

    @patch("/{goal_id:str}", operation_id="updateGoal")
    async def update(self, viewer: SignedIn, goal_id: FromPath[str], data: JSONBody[GoalPatch]) -> GoalView:
        """The owner edits the goal or changes its status (active -> completed | archived)."""
        return await services.update_goal(viewer.uuid, goal_id, data)

    @delete("/{goal_id:str}", operation_id="archiveGoal", status_code=HTTP_204_NO_CONTENT)
    async def archive(self, viewer: SignedIn, goal_id: FromPath[str]) -> None:
        """The owner archives the goal: it keeps its history and is listed under ``status=archived``."""
        await services.archive_goal(viewer.uuid, goal_id)

    @post("/{goal_id:str}/invite", operation_id="inviteToGoal", status_code=HTTP_200_OK)
    async def invite(self, viewer: SignedIn, goal_id: FromPath[str], data: JSONBody[InviteBody]) -> InviteResult:
        """Invite friends (owner or member); each gets a ``goal_invite`` notification."""
        return await services.invite(viewer.uuid, goal_id, data)

    @post("/{goal_id:str}/join", operation_id="joinGoal", status_code=HTTP_200_OK)
    async def join(self, viewer: SignedIn, goal_id: FromPath[str]) -> GoalView:
        """Accept an invitation, or join a public goal as a member."""
        return await services.join(viewer.uuid, goal_id)

    @post("/{goal_id:str}/leave", operation_id="leaveGoal", status_code=HTTP_204_NO_CONTENT)
    async def leave(self, viewer: SignedIn, goal_id: FromPath[str]) -> None:
        """Leave the goal, or decline a pending invitation."""
        await services.leave(viewer.uuid, goal_id)

    @get("/{goal_id:str}/participants", operation_id="listGoalParticipants")
    async def participants(
        self, viewer: SignedIn, goal_id: FromPath[str], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[ParticipantView]:
        """Everyone on the goal with their progress and streaks, in the order they joined."""
        return await services.participants(viewer.uuid, goal_id, cursor, limit)

    @post("/{goal_id:str}/checkins", operation_id="checkInOnGoal", status_code=HTTP_201_CREATED)
    async def check_in(
        self, viewer: SignedIn, settings: Config, goal_id: FromPath[str], data: JSONBody[CheckinCreate]
    ) -> CheckinResult:
        """Record progress; ``share: true`` also publishes it as a memory post."""
        return await checkins.check_in(viewer, goal_id, data, settings)

    @get("/{goal_id:str}/checkins", operation_id="listGoalCheckins")
    async def history(
        self,
        viewer: SignedIn,
        goal_id: FromPath[str],
        username: Annotated[str | None, QueryParameter(name="user", max_length=30, description="a username")] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[CheckinView]:
        """Check-ins newest first; ``user=<username>`` shows one participant's."""
        return await checkins.history(viewer.uuid, goal_id, username, cursor, limit)

    @post("/{goal_id:str}/coach", operation_id="openGoalCoach", status_code=HTTP_200_OK)
    async def coach(self, viewer: SignedIn, goal_id: FromPath[str]) -> ai_schemas.Conversation:
        """Your coach conversation for this goal (created on first call); talk to it with the AI conversation
        endpoints (``POST /api/v1/ai/conversations/{id}/messages`` streams the reply)."""
        return await coach.open_coach(viewer, goal_id)

    @patch("/{goal_id:str}/nudges", operation_id="updateGoalNudges")
    async def nudges(self, viewer: SignedIn, goal_id: FromPath[str], data: JSONBody[NudgePatch]) -> NudgeSettings:
        """Mute nudges for this goal (``muted``), or opt in to a coach message with each nudge (``coach``)."""
        return await services.update_nudges(viewer.uuid, goal_id, data)


ROUTES = [GoalController]
