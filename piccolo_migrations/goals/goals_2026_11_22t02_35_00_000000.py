"""Indexes of goals: a user's goals newest first, history per goal (and per participant), memories per author, and
the nudge scan over participants who can be nudged (partial index on when they were last active)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T02:35:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "goals indexes"

INDEXES = {  # name -> target
    "goal_participants_user_goal": 'goal_participants ("user", goal DESC)',
    "goal_checkins_goal_id": "goal_checkins (goal, id DESC)",
    "goal_checkins_goal_user_id": 'goal_checkins (goal, "user", id DESC)',
    "goal_memories_author": "goal_memories (author)",
    "goal_memories_checkin": "goal_memories (checkin)",
    "goal_participants_nudge_scan": "goal_participants (coalesce(last_checkin_at, joined_at)) "
    "WHERE NOT nudges_muted AND role <> 'viewer'",
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="goals", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for name, target in INDEXES.items():
            await engine.run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop_indexes():
        engine = engine_finder()
        for name in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
