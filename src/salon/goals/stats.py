"""Goal numbers for ``GET /api/v1/users/me/stats`` (the posts package adds them to the user's stats)."""

from __future__ import annotations

import uuid

from salon.goals.schemas import GoalStats
from salon.goals.tables import Goal


async def goal_stats(user_id: uuid.UUID) -> GoalStats:
    """Goals the user takes part in (owner or member) by status, their longest streak, memories shared; one query."""
    rows = await Goal.raw(
        """
        SELECT
          count(*) FILTER (WHERE g.status = 'active' AND p.role <> 'viewer') AS goals_active,
          count(*) FILTER (WHERE g.status = 'completed' AND p.role <> 'viewer') AS goals_completed,
          coalesce(max(p.longest_streak), 0) AS longest_streak,
          (SELECT count(*) FROM goal_memories WHERE author = {}) AS memories_shared
        FROM goal_participants p JOIN goals g ON g.id = p.goal
        WHERE p."user" = {}
        """,
        user_id, user_id,
    )  # fmt: skip
    return GoalStats(**{field: int(rows[0][field]) for field in GoalStats.__struct_fields__})
