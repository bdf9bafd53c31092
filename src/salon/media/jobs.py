"""Media jobs: processing each upload, and the hourly collection of uploads never attached to anything."""

from __future__ import annotations

import logging
from typing import Any

from salon.lib.jobs import cron, job
from salon.media import services
from salon.settings import get_settings

log = logging.getLogger("salon.media")


@job(timeout=120, retries=3)
async def process_media(ctx: dict[str, Any], *, media_id: str) -> None:
    await services.process(media_id, get_settings())


@cron("23 * * * *", timeout=600)
async def collect_unattached_media(ctx: dict[str, Any]) -> None:
    collected = await services.collect_unattached(get_settings())
    if collected:
        log.info("collected unattached uploads", extra={"count": collected})
