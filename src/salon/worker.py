"""The SAQ worker process: jobs run here, never in the request path."""

from __future__ import annotations

import logging
from typing import Any

from saq import Worker

from salon.lib import db, jobs
from salon.lib import logging as salon_logging
from salon.lib import valkey as valkey_client
from salon.settings import Settings

log = logging.getLogger("salon.worker")


def build_worker(settings: Settings, queue: Any) -> Worker:
    jobs.load_registry()

    async def startup(ctx: dict[str, Any]) -> None:
        await db.start_pool(settings)
        await valkey_client.connect(settings.valkey_url or "")

    async def shutdown(ctx: dict[str, Any]) -> None:
        await valkey_client.close()
        await db.close_pool()

    return Worker(
        queue,
        functions=[spec.function for spec in jobs.REGISTRY.values()],
        cron_jobs=jobs.cron_jobs(),
        concurrency=settings.worker_concurrency,
        startup=startup,
        shutdown=shutdown,
        shutdown_grace_period_s=10,
    )


async def run_worker(settings: Settings) -> None:
    salon_logging.configure(settings.log_level)
    queue = await jobs.connect(settings.valkey_url or "")
    worker = build_worker(settings, queue)
    log.info("worker starting", extra={"jobs": sorted(jobs.REGISTRY)})
    try:
        await worker.start()
    finally:
        try:
            await jobs.close()
        except Exception:  # Valkey may already be gone (Ctrl-C reaches every process in the terminal's group)
            log.debug("queue disconnect failed", exc_info=True)
