"""Piccolo configuration (PICCOLO_CONF=salon.piccolo_conf). The engine reads DATABASE_URL; ``salon dev`` and the
test suite set it to their embedded Postgres before anything imports this module."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from salon.domains import piccolo_apps
from salon.settings import SettingsError, get_settings

_url = get_settings().database_url or os.environ.get("DATABASE_URL")
if not _url:
    raise SettingsError(
        "DATABASE_URL is not set. Run `salon dev` (which starts an embedded Postgres) or set DATABASE_URL."
    )

DB = PostgresEngine(config={"dsn": _url}, log_queries=False)


APP_REGISTRY = AppRegistry(apps=piccolo_apps())
