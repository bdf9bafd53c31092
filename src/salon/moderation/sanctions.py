"""Sanctions other packages check before letting a user publish. Depends on nothing but its table."""

from __future__ import annotations

import uuid

from salon.lib.errors import Forbidden
from salon.moderation.tables import Sanction


async def ensure_may_publish(user_id: uuid.UUID) -> None:
    """403 while the user is suspended (a suspension ends by itself at ``ends_at``)."""
    rows = await Sanction.raw(
        "SELECT max(ends_at) AS until FROM moderation_sanctions WHERE user_id = {} AND kind = 'suspend' "
        "AND ends_at > now()",
        user_id,
    )
    until = rows[0]["until"]
    if until is not None:
        raise Forbidden(
            f"Your account is suspended until {until.isoformat()}: you cannot publish until then.",
            extra={"code": "suspended", "suspended_until": until.isoformat()},
        )
