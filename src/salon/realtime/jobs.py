"""Real-time jobs (run in the worker)."""

from __future__ import annotations

from typing import Any

from salon.lib.jobs import job
from salon.realtime import presence


@job(timeout=10, retries=2)
async def presence_check_offline(ctx: dict[str, Any], *, user_id: str) -> None:
    """Scheduled for the end of a closed stream's grace period: announce "offline" unless the user reconnected."""
    await presence.announce_if_offline(user_id)
