from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer

ID = "2026-11-22T03:00:47:130230"
VERSION = "1.38.0"
DESCRIPTION = "Index users.followers_count: home feeds look up followed authors above the fan-out threshold"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="accounts", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="User",
        tablename="users",
        column_name="followers_count",
        db_column_name="followers_count",
        params={"index": True},
        old_params={"index": False},
        column_class=Integer,
        old_column_class=Integer,
        schema=None,
    )

    return manager
