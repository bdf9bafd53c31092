"""Moderation state. Subjects (posts, messages, users, conversations) are named by type and id without foreign keys,
so moderation depends on no package's tables and its records outlive what they are about.

- ``moderation_items``: one AI/local flag or one user report, ``open`` until a decision resolves every open item of
  its subject. The moderator queue groups open items by subject.
- ``moderation_holds``: content hidden pending review (``hidden``); others do not see it, its author does, with a
  notice. Approving deletes the hold; removing deletes the content.
- ``moderation_decisions``: the append-only audit log (a trigger refuses UPDATE and DELETE).
- ``moderation_sanctions``: suspensions (with ``ends_at``) and bans of users.
"""

from __future__ import annotations

from piccolo.columns import UUID, DoublePrecision, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table

from salon.lib.ids import new_id


class ModerationItem(Table, tablename="moderation_items"):
    id = UUID(primary_key=True, default=new_id)
    subject_type = Varchar(length=16)
    subject_id = UUID()
    author_id = UUID(null=True, default=None)  # whose content (or which user) it is about
    source = Varchar(length=16)  # ai | local | report | provider_failure
    category = Varchar(length=16)  # spam | hate | harassment | violence | sexual | self_harm | other
    confidence = DoublePrecision(null=True, default=None)
    reason = Text(default="")
    reporter_id = UUID(null=True, default=None, index=True)
    note = Text(default="")
    state = Varchar(length=16, default="open")  # open | resolved
    decision_id = UUID(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    resolved_at = Timestamptz(null=True, default=None)


class ModerationHold(Table, tablename="moderation_holds"):
    id = UUID(primary_key=True, default=new_id)
    subject_type = Varchar(length=16)
    subject_id = UUID()
    state = Varchar(length=16, default="hidden")
    created_at = Timestamptz(default=TimestamptzNow())
    moderation_holds_unique_subject = Unique([subject_type, subject_id])


class ModerationDecision(Table, tablename="moderation_decisions"):
    id = UUID(primary_key=True, default=new_id)
    subject_type = Varchar(length=16)
    subject_id = UUID()
    author_id = UUID(null=True, default=None)
    moderator_id = UUID()
    action = Varchar(length=16)  # approve | remove | warn | suspend | ban
    note = Text(default="")
    suspended_until = Timestamptz(null=True, default=None)
    item_ids = Text(default="")  # the items it resolved, comma-separated
    created_at = Timestamptz(default=TimestamptzNow())


class Sanction(Table, tablename="moderation_sanctions"):
    id = UUID(primary_key=True, default=new_id)
    user_id = UUID(index=True)
    kind = Varchar(length=16)  # suspend | ban
    ends_at = Timestamptz(null=True, default=None)  # NULL for a ban
    decision_id = UUID()
    created_at = Timestamptz(default=TimestamptzNow())
