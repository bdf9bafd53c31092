from pathlib import Path

from piccolo.conf.apps import AppConfig

from salon.goals.tables import Goal, GoalCheckin, GoalCoach, GoalInvite, GoalMemory, GoalParticipant

APP_CONFIG = AppConfig(
    app_name="goals",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "piccolo_migrations" / "goals"),
    table_classes=[Goal, GoalParticipant, GoalInvite, GoalCheckin, GoalMemory, GoalCoach],
    migration_dependencies=["salon.accounts.piccolo_app", "salon.ai.piccolo_app"],
    commands=[],
)
