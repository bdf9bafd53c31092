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


def build_worker(settings: Settings, queue: Any, *, burst: bool = False) -> Worker:
    """The SAQ worker with every registered job. ``burst=True`` stops once the queue is empty (used by tests)."""
    jobs.load_registry()

    opened: list[str] = []

    async def startup(ctx: dict[str, Any]) -> None:
        # Open only what this process has not opened yet (a worker inside a test shares the app's pool and client).
        if db.engine().pool is None:
            await db.start_pool(settings)
            opened.append("db")
        if not valkey_client.is_connected():
            await valkey_client.connect(settings.valkey_url or "")
            opened.append("valkey")

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "valkey" in opened:
            await valkey_client.close()
        if "db" in opened:
            await db.close_pool()

    return Worker(
        queue,
        functions=[spec.function for spec in jobs.REGISTRY.values()],
        cron_jobs=jobs.cron_jobs(),
        concurrency=settings.worker_concurrency,
        startup=startup,
        shutdown=shutdown,
        # A burst worker stops once no job is left, so only its endless upkeep loops remain: cancel them at once.
        shutdown_grace_period_s=None if burst else 10,
        burst=burst,
        dequeue_timeout=0.5 if burst else 0,
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
