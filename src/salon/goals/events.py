"""Events of the goals package (names and payloads are listed in docs/api.md, section "Goals").

Client-facing (``salon.lib.events.publish``, on every participant's event stream): ``goal_checkin``,
``goal_joined``, ``goal_left``, ``goal_completed``.

Domain (``salon.lib.events.emit``, for worker-side subscribers such as notifications): ``goal.invited``,
``goal.completed``, ``goal.nudged``. This module imports nothing from other packages' services, so subscribers can
import it freely.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from salon.goals.schemas import CheckinView, ParticipantView
from salon.lib.events import event_type

# Client-facing ---------------------------------------------------------------------------------------------------


@event_type("goal_checkin")
class GoalCheckedIn(msgspec.Struct, frozen=True):
    """A participant checked in: the check-in, their progress now, and the goal's totals."""

    goal_id: str
    checkin: CheckinView
    participant: ParticipantView
    progress: float
    checkin_count: int


@event_type("goal_joined")
class GoalJoined(msgspec.Struct, frozen=True):
    goal_id: str
    participant: ParticipantView


@event_type("goal_left")
class GoalLeft(msgspec.Struct, frozen=True):
    goal_id: str
    user_id: str


@event_type("goal_completed")
class GoalCompletedNotice(msgspec.Struct, frozen=True):
    """The goal reached its target (or its owner marked it done). ``completed_by`` is the user who completed it."""

    goal_id: str
    title: str
    progress: float
    completed_at: datetime
    completed_by: str


# Domain ----------------------------------------------------------------------------------------------------------


@event_type("goal.invited")
class GoalInvited(msgspec.Struct, frozen=True):
    goal_id: str
    inviter_id: str
    invitee_id: str


@event_type("goal.completed")
class GoalCompleted(msgspec.Struct, frozen=True):
    """``participant_ids``: everyone on the goal when it completed (the completer included)."""

    goal_id: str
    completed_by: str
    participant_ids: list[str]
    completed_at: datetime


@event_type("goal.nudged")
class GoalNudged(msgspec.Struct, frozen=True):
    """``user_id`` has not checked in on ``goal_id`` for ``idle_days`` days (owned by ``owner_id``)."""

    goal_id: str
    user_id: str
    owner_id: str
    idle_days: int
