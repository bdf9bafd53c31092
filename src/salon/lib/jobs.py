"""Background jobs on SAQ. Domain packages declare jobs with ``@job``; services call ``enqueue`` (after commit).

A job runs in the worker process (``salon worker``), never in the request path. Each job declares a timeout fitting
its work and how often it may be retried.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from saq import CronJob, Queue

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


REGISTRY: dict[str, JobSpec] = {}
CRON: list[tuple[JobFunction, str, int]] = []
_queue: Queue | None = None


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


async def connect(url: str) -> Queue:
    global _queue
    _queue = Queue.from_url(normalise_url(url), name="salon")
    await _queue.connect()
    return _queue


async def close() -> None:
    global _queue
    if _queue is not None:
        await _queue.disconnect()
        _queue = None


def queue() -> Queue:
    if _queue is None:
        raise RuntimeError("the job queue is not connected: this code must run inside the app or worker lifespan")
    return _queue


async def enqueue(function: JobFunction | str, *, key: str | None = None, **kwargs: Any) -> None:
    """Enqueue a registered job after the current unit of work commits. ``key`` deduplicates queued jobs."""
    name = function if isinstance(function, str) else function.__name__
    spec = REGISTRY.get(name)
    if spec is None:
        raise RuntimeError(f"job {name!r} is not registered (decorate it with @job)")
    options: dict[str, Any] = {
        "timeout": spec.timeout,
        "retries": spec.retries,
        "retry_delay": spec.retry_delay,
        "retry_backoff": spec.retry_backoff,
    }
    if key is not None:
        options["key"] = key

    async def send() -> None:
        await queue().enqueue(name, **options, **kwargs)

    await db.after_commit(send)


def cron_jobs() -> list[CronJob]:
    return [CronJob(function, cron=schedule, timeout=timeout, unique=True) for function, schedule, timeout in CRON]
