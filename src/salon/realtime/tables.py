"""The real-time package's one table: a user's presence preference (presence itself lives in Valkey)."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from salon.accounts.tables import User


class PresenceSetting(Table, tablename="presence_settings"):
    """``hidden``: others always see this user as offline, with no last-seen time. No row means visible."""

    owner = ForeignKey(User, on_delete=OnDelete.cascade, null=False, primary_key=True)
    hidden = Boolean(default=False)
    updated_at = Timestamptz(default=TimestamptzNow())
