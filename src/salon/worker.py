"""The SAQ worker process: jobs run here, never in the request path.

One process works every job queue (``salon.lib.jobs.QUEUES``): an SAQ worker per queue on the same event loop, each
with its own concurrency, so the timelines queue's fan-out never waits for a slot behind default-queue jobs. Cron
jobs are scheduled by the default queue's worker only.

Its database pool is sized from its job slots (``db_pool_size``), not from ``db_pool_max`` (the API's pool): every job
that runs can hold a connection without waiting for another job to finish with one.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from typing import Any

import msgspec
from saq import Worker
from saq.utils import cancel_tasks

from salon.ai.provider import close_provider
from salon.lib import db, jobs
from salon.lib import logging as salon_logging
from salon.lib import valkey as valkey_client
from salon.settings import Settings

log = logging.getLogger("salon.worker")

SHUTDOWN_GRACE_SECONDS = 10
# Connections beyond one per job slot. Cron ticks (heartbeat, timeline upkeep ...) are jobs and run in a default-queue
# slot, and SAQ's own loops use Valkey only; the spare is for a job that runs two queries at once (asyncio.gather).
POOL_SPARE_CONNECTIONS = 2


def concurrency(settings: Settings, queue_name: str) -> int:
    """Jobs one worker process runs at once from ``queue_name``."""
    if queue_name == jobs.TIMELINES_QUEUE:
        return settings.worker_timelines_concurrency
    return settings.worker_concurrency


def db_pool_size(settings: Settings, queue_names: Sequence[str]) -> int:
    """The worker's database pool: a connection for each job slot of the queues it works (``worker_concurrency`` and
    ``worker_timelines_concurrency``), plus ``POOL_SPARE_CONNECTIONS``. With the defaults (20 + 4 slots) that is 26,
    where the API's ``db_pool_max`` of 20 let 4 running jobs wait for a connection."""
    return sum(concurrency(settings, name) for name in queue_names) + POOL_SPARE_CONNECTIONS


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
    runs is cancelled (and retried by SAQ, with a warning naming it). An idle worker stops at once, silently."""
    deadline = asyncio.get_running_loop().time() + grace_seconds
    idle_checks = 0  # two in a row: a job just dequeued is not yet in job_task_contexts for a moment
    while idle_checks < 2 and asyncio.get_running_loop().time() < deadline:
        idle_checks = 0 if any(worker.job_task_contexts for worker in workers) else idle_checks + 1
        await asyncio.sleep(0.05)
    await asyncio.gather(*(_cancel_what_is_left(worker) for worker in workers))
    await asyncio.gather(*(worker.stop() for worker in workers), return_exceptions=True)


async def _cancel_what_is_left(worker: Worker) -> None:
    """Cancel the worker's tasks before ``Worker.stop``: its upkeep loops and the dequeues waiting for a job, which
    never end on their own, and any job still running after the grace period (SAQ retries a cancelled job).

    ``stop()`` would cancel them too, but it first waits the grace period for ALL of them and so warned "Some tasks
    did not finish within the shutdown grace period" on every stop, of an idle worker too. Left with no task, it does
    not; a job that is really cut off gets the warning here, by name."""
    cut_off = sorted(job.function for job in worker.job_task_contexts)
    left = list(worker.tasks)
    # No await until the event is set: a process task that ends now must not start another one (SAQ starts a new
    # dequeue whenever one ends, until the event is set), and start()'s own stop() must find no task either.
    worker.tasks.clear()
    worker.event.set()
    if cut_off:
        log.warning(
            "stopping the %s worker cut off %d running job(s), which SAQ retries: %s",
            worker.queue.name, len(cut_off), ", ".join(cut_off),
        )  # fmt: skip
    if not await cancel_tasks(left, timeout=worker._cancellation_hard_deadline_s):
        log.warning("some tasks of the %s worker did not end after cancellation (stuck or blocking)", worker.queue.name)


async def run_worker(settings: Settings, queue_names: Sequence[str] | None = None) -> None:
    """Work ``queue_names`` (default: every queue) until SIGINT/SIGTERM. Every queue is connected either way: jobs
    enqueue onto any queue."""
    salon_logging.configure(settings.log_level)
    names = [name for name in jobs.QUEUES if name in (queue_names or jobs.QUEUES)]
    size = db_pool_size(settings, names)
    await db.start_pool(
        msgspec.structs.replace(settings, db_pool_max=size, db_pool_min=min(settings.db_pool_min, size))
    )
    await valkey_client.connect(settings.valkey_url or "", max_connections=settings.valkey_max_connections)
    queues = await jobs.connect(settings.valkey_url or "")
    workers = [build_worker(settings, queue) for name, queue in queues.items() if name in (queue_names or queues)]
    log.info(
        "worker starting (a database pool of %d connections)",
        size,
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
        closing = ((close_provider, "AI provider"), (jobs.close, "job queues"), (valkey_client.close, "valkey"),
                   (db.close_pool, "db pool"))  # fmt: skip
        for close, what in closing:
            try:
                await close()
            except Exception:
                log.debug("closing the %s failed during shutdown", what, exc_info=True)
