from pathlib import Path

from piccolo.conf.apps import AppConfig

from salon.accounts.tables import AuthSession, RecoveryCode, RefreshToken, User

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).resolve().parents[3] / "piccolo_migrations" / "accounts"),
    table_classes=[User, AuthSession, RefreshToken, RecoveryCode],
    migration_dependencies=[],
    commands=[],
)
