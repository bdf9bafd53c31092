"""Background jobs on SAQ. Domain packages declare jobs with ``@job``; services call ``enqueue`` (after commit).

A job runs in the worker process (``salon worker``), never in the request path. Each job declares a timeout fitting
its work and how often it may be retried.

There are two queues, each worked by its own SAQ worker (``salon.worker``): ``salon`` (the default: everything, cron
included) and ``timelines`` (domain-event subscribers that write home timelines, so a celebrity's fan-out never waits
behind screening or notification jobs). Both share one Valkey client per process.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis import asyncio as aioredis
from saq import CronJob, Queue
from saq.queue.redis import RedisQueue

from salon.lib import db
from salon.lib.valkey import normalise_url

log = logging.getLogger("salon.jobs")

JobFunction = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class JobSpec:
    function: JobFunction
    timeout: int
    retries: int
    retry_delay: float
    retry_backoff: bool

    @property
    def name(self) -> str:
        return self.function.__name__


DEFAULT_QUEUE = "salon"
TIMELINES_QUEUE = "timelines"
QUEUES = (DEFAULT_QUEUE, TIMELINES_QUEUE)

REGISTRY: dict[str, JobSpec] = {}
CRON: list[tuple[JobFunction, str, int]] = []
_queues: dict[str, Queue] = {}


def job(
    *, timeout: int = 30, retries: int = 3, retry_delay: float = 1.0, retry_backoff: bool = True
) -> Callable[[JobFunction], JobFunction]:
    """Register ``async def name(ctx, **kwargs)`` as a job. Names are the function names: keep them unique."""

    def register(function: JobFunction) -> JobFunction:
        if function.__name__ in REGISTRY and REGISTRY[function.__name__].function is not function:
            raise RuntimeError(f"job name {function.__name__!r} is registered twice")
        REGISTRY[function.__name__] = JobSpec(function, timeout, retries, retry_delay, retry_backoff)
        return function

    return register


def cron(schedule: str, *, timeout: int = 60) -> Callable[[JobFunction], JobFunction]:
    """Run ``async def name(ctx)`` on a crontab ``schedule`` in the worker (one worker runs each tick)."""

    def register(function: JobFunction) -> JobFunction:
        CRON.append((function, schedule, timeout))
        return function

    return register


def load_registry() -> None:
    """Import every package's jobs module so the registry is complete (worker and app alike)."""
    from salon.domains import load_jobs

    load_jobs()


async def connect(url: str) -> dict[str, Queue]:
    """Connect every queue (``QUEUES``) over one shared Valkey client; any process that enqueues calls this.

    The registry is loaded first: ``events.emit`` routes each event to the queues its subscribers declared, so a
    process that enqueues must know every subscriber.
    """
    load_registry()
    client = aioredis.from_url(normalise_url(url))
    for name in QUEUES:
        _queues[name] = RedisQueue(client, name=name)
        await _queues[name].connect()
    return dict(_queues)


async def close() -> None:
    # SAQ's disconnect() closes the queue's pub/sub and then the client's pool; with a shared client the later calls
    # only close their own (unused) pub/sub and find the pool already closed.
    queues = list(_queues.values())
    _queues.clear()
    for connected in queues:
        await connected.disconnect()


def queue(name: str = DEFAULT_QUEUE) -> Queue:
    connected = _queues.get(name)
    if connected is None:
        if name not in QUEUES:
            raise RuntimeError(f"there is no job queue {name!r} (queues: {', '.join(QUEUES)})")
        raise RuntimeError("the job queue is not connected: this code must run inside the app or worker lifespan")
    return connected


_queue_named = queue  # for ``enqueue``, whose ``queue`` argument shadows the function


async def enqueue(
    function: JobFunction | str, *, queue: str = DEFAULT_QUEUE, key: str | None = None, **kwargs: Any
) -> None:
    """Enqueue a registered job on ``queue`` after the current unit of work commits. ``key`` deduplicates queued
    jobs (within that queue)."""
    name = function if isinstance(function, str) else function.__name__
    spec = REGISTRY.get(name)
    if spec is None:
        raise RuntimeError(f"job {name!r} is not registered (decorate it with @job)")
    if queue not in QUEUES:
        raise RuntimeError(f"there is no job queue {queue!r} (queues: {', '.join(QUEUES)})")
    options: dict[str, Any] = {
        "timeout": spec.timeout,
        "retries": spec.retries,
        "retry_delay": spec.retry_delay,
        "retry_backoff": spec.retry_backoff,
    }
    if key is not None:
        options["key"] = key

    async def send() -> None:
        await _queue_named(queue).enqueue(name, **options, **kwargs)

    await db.after_commit(send)


def cron_jobs() -> list[CronJob]:
    """Cron jobs run on the default queue only."""
    return [CronJob(function, cron=schedule, timeout=timeout, unique=True) for function, schedule, timeout in CRON]
