"""Goals in the worker: the nudge scan (cron) and the coach messages it asks for. Importing ``coach`` registers the
goals context provider of ``coach`` conversations (this module is loaded by both the app and the worker)."""

from __future__ import annotations

from typing import Any

from salon.goals import coach, nudges
from salon.lib.jobs import cron, job
from salon.settings import get_settings

__all__ = ["coach", "nudge_idle_participants", "write_coach_nudges"]


@cron("*/15 * * * *", timeout=300)
async def nudge_idle_participants(ctx: dict[str, Any]) -> None:
    """Every 15 minutes: nudge owners and members idle for SALON_GOAL_NUDGE_AFTER_DAYS days."""
    await nudges.nudge_idle_participants(get_settings())


@job(timeout=600, retries=1)
async def write_coach_nudges(ctx: dict[str, Any], *, pairs: list[list[str]]) -> None:
    """One batch of coach nudge messages (``[goal_id, user_id]`` pairs); never retried, so never written twice."""
    await nudges.write_coach_nudges(pairs, get_settings())
