"""What the feed keeps in Postgres. Timelines, affinity counters and feed snapshots live in Valkey (rebuildable)."""

from __future__ import annotations

from piccolo.columns import UUID, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from salon.accounts.tables import User
from salon.lib.ids import new_id


class FeedPreference(Table, tablename="feed_preferences"):
    """The home-feed algorithm a user chose last (``chronological``, ``engagement`` or ``ranked``)."""

    id = UUID(primary_key=True, default=new_id)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False, unique=True)
    algorithm = Varchar(length=16, default="ranked")
    updated_at = Timestamptz(default=TimestamptzNow())
