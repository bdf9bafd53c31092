"""The SAQ worker process: jobs run here, never in the request path.

One process works every job queue (``salon.lib.jobs.QUEUES``): an SAQ worker per queue on the same event loop, each
with its own concurrency, so the timelines queue's fan-out never waits for a slot behind default-queue jobs. Cron
jobs are scheduled by the default queue's worker only.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from typing import Any

from saq import Worker

from salon.lib import db, jobs
from salon.lib import logging as salon_logging
from salon.lib import valkey as valkey_client
from salon.settings import Settings

log = logging.getLogger("salon.worker")

SHUTDOWN_GRACE_SECONDS = 10


def concurrency(settings: Settings, queue_name: str) -> int:
    """Jobs one worker process runs at once from ``queue_name``."""
    if queue_name == jobs.TIMELINES_QUEUE:
        return settings.worker_timelines_concurrency
    return settings.worker_concurrency


def build_worker(settings: Settings, queue: Any, *, burst: bool = False) -> Worker:
    """The SAQ worker of ``queue`` with every registered job (cron jobs on the default queue only).

    ``burst=True`` stops once the queue is empty (used by tests). The worker neither opens the stores nor handles
    signals: ``run_worker`` does both once for all the process's workers (a worker inside a test shares the app's).
    """
    jobs.load_registry()
    default = queue.name == jobs.DEFAULT_QUEUE
    worker = Worker(
        queue,
        functions=[spec.function for spec in jobs.REGISTRY.values()],
        cron_jobs=jobs.cron_jobs() if default else [],
        concurrency=concurrency(settings, queue.name),
        # SAQ's stop() would wait the grace period for its endless upkeep loops and idle dequeues too (an idle worker
        # took 10.5 s to stop): ``stop_workers`` gives running jobs their grace, so stop() cancels what is left at once.
        shutdown_grace_period_s=None,
        burst=burst,
        dequeue_timeout=0.5 if burst else 0,
    )
    # Each SAQ worker would install its own SIGINT/SIGTERM handler, and with two on one loop the second replaces the
    # first (only one worker would stop). run_worker stops them all on a signal instead.
    worker.SIGNALS = []
    return worker


async def stop_workers(workers: Sequence[Worker], grace_seconds: float) -> None:
    """Stop ``workers`` together: the jobs they are running get up to ``grace_seconds`` to finish, then whatever still
    runs is cancelled (SAQ sweeps and retries it, as after a crash). An idle worker stops at once."""
    deadline = asyncio.get_running_loop().time() + grace_seconds
    idle_checks = 0  # two in a row: a job just dequeued is not yet in job_task_contexts for a moment
    while idle_checks < 2 and asyncio.get_running_loop().time() < deadline:
        idle_checks = 0 if any(worker.job_task_contexts for worker in workers) else idle_checks + 1
        await asyncio.sleep(0.05)
    await asyncio.gather(*(worker.stop() for worker in workers), return_exceptions=True)


async def run_worker(settings: Settings, queue_names: Sequence[str] | None = None) -> None:
    """Work ``queue_names`` (default: every queue) until SIGINT/SIGTERM. Every queue is connected either way: jobs
    enqueue onto any queue."""
    salon_logging.configure(settings.log_level)
    await db.start_pool(settings)
    await valkey_client.connect(settings.valkey_url or "", max_connections=settings.valkey_max_connections)
    queues = await jobs.connect(settings.valkey_url or "")
    workers = [build_worker(settings, queue) for name, queue in queues.items() if name in (queue_names or queues)]
    log.info(
        "worker starting",
        extra={
            "jobs": sorted(jobs.REGISTRY),
            "queues": {w.queue.name: concurrency(settings, w.queue.name) for w in workers},
        },
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    running = [asyncio.create_task(worker.start(), name=f"worker:{worker.queue.name}") for worker in workers]
    stop_requested = asyncio.create_task(stopping.wait())
    try:
        # Until a signal, or until a worker ends on its own (it failed to start): then the process stops as a whole.
        await asyncio.wait([stop_requested, *running], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop_requested.cancel()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await stop_workers(workers, SHUTDOWN_GRACE_SECONDS)
        results = await asyncio.gather(*running, return_exceptions=True)
        for worker, result in zip(workers, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                log.error("worker of queue %s failed", worker.queue.name, exc_info=result)
        # The stores may already be gone (Ctrl-C reaches every process in the terminal's group).
        for close, what in ((jobs.close, "job queues"), (valkey_client.close, "valkey"), (db.close_pool, "db pool")):
            try:
                await close()
            except Exception:
                log.debug("closing the %s failed during shutdown", what, exc_info=True)
