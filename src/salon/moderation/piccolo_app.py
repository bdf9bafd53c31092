from pathlib import Path

from piccolo.conf.apps import AppConfig

from salon.moderation.tables import ModerationDecision, ModerationHold, ModerationItem, Sanction

APP_CONFIG = AppConfig(
    app_name="moderation",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "piccolo_migrations" / "moderation"),
    table_classes=[ModerationItem, ModerationHold, ModerationDecision, Sanction],
    migration_dependencies=["salon.accounts.piccolo_app"],
    commands=[],
)
