"""Piccolo configuration (PICCOLO_CONF=salon.piccolo_conf). The engine reads DATABASE_URL; ``salon dev`` and the
test suite set it to their embedded Postgres before anything imports this module."""

from __future__ import annotations

import os
from typing import Any

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from salon.domains import piccolo_apps
from salon.lib.db import rows_to_dicts
from salon.settings import SettingsError, get_settings

_url = get_settings().database_url or os.environ.get("DATABASE_URL")
if not _url:
    raise SettingsError(
        "DATABASE_URL is not set. Run `salon dev` (which starts an embedded Postgres) or set DATABASE_URL."
    )


class SalonPostgresEngine(PostgresEngine):
    """Piccolo's engine, turning query results into dicts faster (``salon.lib.db.rows_to_dicts``)."""

    def transform_response_to_dicts(self, results: Any) -> list[dict[str, Any]]:
        return rows_to_dicts(results)


DB = SalonPostgresEngine(config={"dsn": _url}, log_queries=False)


APP_REGISTRY = AppRegistry(apps=piccolo_apps())
