"""Accounts jobs: the daily purge of accounts deactivated longer ago than the retention period."""

from __future__ import annotations

import logging
from typing import Any

from salon.accounts import services
from salon.lib.jobs import cron
from salon.settings import get_settings

log = logging.getLogger("salon.accounts")


@cron("17 3 * * *", timeout=300)
async def purge_deactivated_users(ctx: dict[str, Any]) -> None:
    purged = await services.purge_deactivated(get_settings())
    if purged:
        log.info("purged deactivated accounts", extra={"count": len(purged)})
