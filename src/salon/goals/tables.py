"""Goals, who pursues them, their check-ins, memories (check-ins shared as posts) and coach conversations.

Only ``salon.goals`` services touch these tables. Composite and partial indexes (a user's goals by status, history by
goal, the nudge scan) are created by a raw migration next to the generated one.
"""

from __future__ import annotations

from piccolo.columns import (
    UUID,
    Array,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table

from salon.accounts.tables import User
from salon.ai.tables import Conversation
from salon.lib.ids import new_id

TARGET_TYPES = ("amount", "date", "boolean")
VISIBILITIES = ("private", "friends", "public")
STATUSES = ("active", "completed", "archived")
ROLES = ("owner", "member", "viewer")


class Goal(Table, tablename="goals"):
    """A goal. ``progress`` is the sum of every participant's check-in values (amount goals); ``completed_at`` and
    ``archived_at`` record when the status last changed to that value."""

    id = UUID(primary_key=True, default=new_id)
    owner = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    title = Varchar(length=200)
    description = Text(default="")
    target_type = Varchar(length=16)
    target_value = DoublePrecision(null=True, default=None)
    unit = Varchar(length=32, default="")
    target_date = Date(null=True, default=None)
    visibility = Varchar(length=16, default="friends")
    status = Varchar(length=16, default="active")
    progress = DoublePrecision(default=0.0)
    checkin_count = Integer(default=0)
    participant_count = Integer(default=1)
    completed_at = Timestamptz(null=True, default=None)
    completed_by = UUID(null=True, default=None)
    archived_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class GoalParticipant(Table, tablename="goal_participants"):
    """One person on a goal. Streaks count consecutive local days (in the person's time zone at check-in time) with
    at least one check-in: ``last_checkin_day`` is that local day."""

    id = UUID(primary_key=True, default=new_id)
    goal = ForeignKey(Goal, null=False, on_delete=OnDelete.cascade)
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    role = Varchar(length=16, default="member")
    progress = DoublePrecision(default=0.0)
    checkin_count = Integer(default=0)
    current_streak = Integer(default=0)
    longest_streak = Integer(default=0)
    last_checkin_at = Timestamptz(null=True, default=None)
    last_checkin_day = Date(null=True, default=None)
    nudges_muted = Boolean(default=False)
    coach_nudges = Boolean(default=False)  # opted in to a short coach message with each nudge
    last_nudged_at = Timestamptz(null=True, default=None)
    joined_at = Timestamptz(default=TimestamptzNow())
    goal_participants_unique_user = Unique([goal, user])


class GoalInvite(Table, tablename="goal_invites"):
    """A pending invitation; joining consumes it."""

    id = UUID(primary_key=True, default=new_id)
    goal = ForeignKey(Goal, null=False, on_delete=OnDelete.cascade)
    invitee = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    inviter = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    role = Varchar(length=16, default="member")
    created_at = Timestamptz(default=TimestamptzNow())
    goal_invites_unique_invitee = Unique([goal, invitee])


class GoalCheckin(Table, tablename="goal_checkins"):
    id = UUID(primary_key=True, default=new_id)
    goal = ForeignKey(Goal, null=False, on_delete=OnDelete.cascade)
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    value = DoublePrecision(null=True, default=None)
    note = Text(default="")
    media_ids = Array(base_column=UUID(), default=list)
    local_day = Date()  # the day in the user's time zone when they checked in
    created_at = Timestamptz(default=TimestamptzNow())


class GoalMemory(Table, tablename="goal_memories"):
    """A check-in shared as a post. No foreign key to posts: a deleted post keeps its tombstone row."""

    id = UUID(primary_key=True, default=new_id)
    goal = ForeignKey(Goal, null=False, on_delete=OnDelete.cascade)
    checkin = ForeignKey(GoalCheckin, null=False, on_delete=OnDelete.cascade)
    author = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    post_id = UUID()
    created_at = Timestamptz(default=TimestamptzNow())


class GoalCoach(Table, tablename="goal_coaches"):
    """The coach conversation of one participant for one goal (gone when the conversation is deleted)."""

    id = UUID(primary_key=True, default=new_id)
    goal = ForeignKey(Goal, null=False, on_delete=OnDelete.cascade)
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    conversation = ForeignKey(Conversation, null=False, on_delete=OnDelete.cascade, unique=True)
    goal_coaches_unique_user = Unique([goal, user])
