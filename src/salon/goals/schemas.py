"""The goals API contract (msgspec Structs, snake_case, ids as strings)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from salon.lib.schemas import RequestBody
from salon.social.schemas import UserSummary

TargetType = Literal["amount", "date", "boolean"]
Visibility = Literal["private", "friends", "public"]
Status = Literal["active", "completed", "archived"]
Role = Literal["owner", "member", "viewer"]
InviteRole = Literal["member", "viewer"]

Title = Annotated[str, Meta(min_length=1, max_length=200)]
Description = Annotated[str, Meta(max_length=2000)]
Unit = Annotated[str, Meta(max_length=32)]
# Litestar leaves a bound of 0 out of the OpenAPI document (it tests the value's truth), so the document gets it again
# through the schema extras; msgspec enforces gt=0 itself.
Amount = Annotated[float, Meta(gt=0, le=1e12, extra_json_schema={"extra": {"exclusive_minimum": 0}})]
Note = Annotated[str, Meta(max_length=500)]
Username = Annotated[str, Meta(min_length=1, max_length=30)]


# Requests ---------------------------------------------------------------------------------------------------------


class GoalCreate(RequestBody):
    title: Title
    target_type: TargetType
    description: Description = ""
    target_value: Amount | None = None  # required for amount goals
    unit: Unit = ""
    target_date: date | None = None  # required for date goals
    visibility: Visibility = "friends"


class GoalPatch(RequestBody):
    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    target_value: Amount | UnsetType = UNSET
    unit: Unit | UnsetType = UNSET
    target_date: date | UnsetType = UNSET
    visibility: Visibility | UnsetType = UNSET
    status: Status | UnsetType = UNSET


class InviteBody(RequestBody):
    usernames: Annotated[list[Username], Meta(min_length=1, max_length=20)]
    role: InviteRole = "member"


class CheckinCreate(RequestBody):
    value: Amount | None = None
    note: Note = ""
    media_ids: Annotated[list[str], Meta(max_length=4)] = []
    share: bool = False


class NudgePatch(RequestBody):
    muted: bool | UnsetType = UNSET  # no goal_nudge for this goal
    coach: bool | UnsetType = UNSET  # with each nudge, a short message from the coach (uses your AI quota)


# Responses --------------------------------------------------------------------------------------------------------


class ParticipantView(msgspec.Struct, frozen=True):
    """One participant's progress. ``current_streak`` is 0 once a whole local day passed without a check-in."""

    user: UserSummary
    role: Role
    progress: float
    checkin_count: int
    current_streak: int
    longest_streak: int
    last_checkin_at: datetime | None
    joined_at: datetime


class GoalView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    owner: UserSummary
    title: str
    description: str
    target_type: TargetType
    target_value: float | None
    unit: str
    target_date: date | None
    days_left: int | None  # date goals: days from today (the viewer's time zone) to target_date; negative when past
    visibility: Visibility
    status: Status
    progress: float  # amount goals: the sum of every participant's check-in values
    checkin_count: int
    participant_count: int
    completed_at: datetime | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime
    viewer_role: Role | None  # null: the viewer only sees the goal (public, or invited)
    invited: bool  # the viewer has a pending invitation (POST .../join accepts it)
    me: ParticipantView | None  # the viewer's own progress when they take part


class CheckinView(msgspec.Struct, frozen=True):
    id: str
    goal_id: str
    user: UserSummary
    value: float | None
    note: str
    media_ids: list[str]
    local_day: date  # the day in the participant's time zone that this check-in counts for
    created_at: datetime
    post_id: str | None  # the memory post, when shared


class CheckinResult(msgspec.Struct, frozen=True):
    checkin: CheckinView
    goal: GoalView


class InviteResult(msgspec.Struct, frozen=True):
    invited: list[UserSummary]


class NudgeSettings(msgspec.Struct, frozen=True):
    muted: bool
    coach: bool


class GoalStats(msgspec.Struct, frozen=True):
    goals_active: int
    goals_completed: int
    longest_streak: int
    memories_shared: int
