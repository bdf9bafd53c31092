"""Sanctions other packages check before letting a user publish. Depends on nothing but its table."""

from __future__ import annotations

import uuid
from datetime import datetime

from salon.lib.errors import Forbidden
from salon.moderation.tables import Sanction


def suspended_until_sql(user: str) -> str:
    """SQL expression: when the current suspension of ``user`` (an SQL expression) ends; NULL when there is none. For
    a write that checks the rule in the same statement (``salon.posts.services.create_post``)."""
    where = f"user_id = {user} AND kind = 'suspend' AND ends_at > now()"
    return f"(SELECT max(ends_at) FROM moderation_sanctions WHERE {where})"  # noqa: S608 - ``user`` is code, not input


def suspended(until: datetime) -> Forbidden:
    """The 403 for a user suspended until ``until``."""
    return Forbidden(
        f"Your account is suspended until {until.isoformat()}: you cannot publish until then.",
        extra={"code": "suspended", "suspended_until": until.isoformat()},
    )


async def ensure_may_publish(user_id: uuid.UUID) -> None:
    """403 while the user is suspended (a suspension ends by itself at ``ends_at``)."""
    rows = await Sanction.raw(f"SELECT {suspended_until_sql('{}')} AS until", user_id)
    until = rows[0]["until"]
    if until is not None:
        raise suspended(until)
