"""Background jobs on SAQ. Domain packages declare jobs with ``@job``; services call ``enqueue`` (after commit).

A job runs in the worker process (``salon worker``), never in the request path. Each job declares a timeout fitting
its work and how often it may be retried.

There are two queues, each worked by its own SAQ worker (``salon.worker``): ``salon`` (the default: everything, cron
included) and ``timelines`` (domain-event subscribers that write home timelines, so a celebrity's fan-out never waits
behind screening or notification jobs). Both share one Valkey client per process.

Inside ``async with batch()`` the jobs enqueued (on either queue) are not sent one by one: after the unit of work
commits they go to Valkey in ONE pipeline, together with any script calls the block added (``Batch.call``; a post's
create adds the author's timeline push). A create used to pay one round trip per job and one for the push.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from redis import asyncio as aioredis
from saq import CronJob, Queue
from saq.job import Job, Status
from saq.queue.redis import RedisQueue
from saq.utils import now
from valkey.exceptions import ConnectionError as ValkeyConnectionError
from valkey.exceptions import TimeoutError as ValkeyTimeoutError

from salon.lib import db
from salon.lib import valkey as valkey_client
from salon.lib.valkey import ScriptCall, normalise_url

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

    collecting = _batch.get()
    if collecting is not None:
        collecting.jobs.append((queue, name, {**options, **kwargs}))
        return

    async def send() -> None:
        await _queue_named(queue).enqueue(name, **options, **kwargs)

    await db.after_commit(send)


# Batches ----------------------------------------------------------------------------------------------------------

# SAQ's enqueue script, verbatim (saq 0.26, ``saq/queue/redis.py`` ``RedisQueue._enqueue``): store the job, index it as
# incomplete and push it onto its queue, unless a job with its key is still incomplete or being aborted. A batch runs
# it in a pipeline of its own, which SAQ's API cannot do (``_enqueue`` always sends on the queue's client, one call
# per job). tests/lib/test_job_batches.py fails if SAQ's copy changes, so an upgrade cannot silently diverge.
SAQ_ENQUEUE = """
if not redis.call('ZSCORE', KEYS[1], KEYS[2]) and redis.call('EXISTS', KEYS[4]) == 0 then
    redis.call('SET', KEYS[2], ARGV[1])
    redis.call('ZADD', KEYS[1], ARGV[2], KEYS[2])
    if ARGV[2] == '0' then redis.call('RPUSH', KEYS[3], KEYS[2]) end
    return 1
else
    return nil
end
"""


@dataclass
class Batch:
    """What a ``batch()`` block sends after commit: jobs as ``(queue, job name, options and kwargs)``, then calls."""

    jobs: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    calls: list[ScriptCall] = field(default_factory=list)

    def call(self, call: ScriptCall) -> None:
        """Send ``call`` in the batch's pipeline, after its jobs."""
        self.calls.append(call)


_batch: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("salon_job_batch", default=None)
SEND_ATTEMPTS = 2  # a batch is idempotent (see ``_send``): one retry after a lost connection


@asynccontextmanager
async def batch() -> AsyncIterator[Batch]:
    """Collect the ``enqueue`` calls made in the block (and ``Batch.call``s) and send them in one pipeline once the
    current unit of work commits (at the end of the block when there is none). A block that raises sends nothing.
    Nested blocks join the outer one."""
    outer = _batch.get()
    if outer is not None:
        yield outer
        return
    collected = Batch()
    token = _batch.set(collected)
    try:
        yield collected
    finally:
        _batch.reset(token)
    if collected.jobs or collected.calls:
        await db.after_commit(lambda: _send(collected))


def _job_calls(collected: Batch) -> list[ScriptCall]:
    """Each job of ``collected`` as SAQ's ``Queue.enqueue`` would build it (keyword arguments that name a ``Job``
    field set it, the others are the function's), as a call of SAQ's enqueue script."""
    script = valkey_client.script(SAQ_ENQUEUE)
    calls = []
    for queue_name, name, arguments in collected.jobs:
        connected = _queue_named(queue_name)
        fields = {key: value for key, value in arguments.items() if key in Job.__dataclass_fields__}
        function_kwargs = {key: value for key, value in arguments.items() if key not in Job.__dataclass_fields__}
        job = Job(function=name, **fields)
        if function_kwargs:
            job.kwargs = function_kwargs
        job.queue = connected
        job.queued = now()
        job.status = Status.QUEUED
        keys = [connected.namespace("incomplete"), job.id, connected.namespace("queued"), job.abort_id]  # type: ignore[attr-defined]
        args = [connected.serialize(job), job.scheduled]
        calls.append(ScriptCall(script, keys, args, f"job {name} on {queue_name}", function_kwargs))
    return calls


async def _send(collected: Batch) -> None:
    """One pipeline: every job, then every call. Sending it twice changes nothing that matters, so a lost connection
    is retried once: a job still incomplete is not enqueued again (SAQ's script checks its key) and a timeline push is
    a ZADD. Whatever is still not sent is logged as an error naming each job and call; the post or other data is
    committed either way (as before batches: a failed enqueue was logged by ``unit_of_work``)."""
    calls = [*_job_calls(collected), *collected.calls]
    failed: list[tuple[ScriptCall, Exception]] = []
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            results = await valkey_client.run_scripts(calls)
            failed = [
                (call, result) for call, result in zip(calls, results, strict=True) if isinstance(result, Exception)
            ]
            break
        except (ValkeyConnectionError, ValkeyTimeoutError) as lost:
            if attempt == SEND_ATTEMPTS:
                failed = [(call, lost) for call in calls]
    for call, error in failed:
        log.error(
            "after-commit %s was not sent: %s", call.description or "script call", error, extra={"detail": call.detail}
        )


def cron_jobs() -> list[CronJob]:
    """Cron jobs run on the default queue only."""
    return [CronJob(function, cron=schedule, timeout=timeout, unique=True) for function, schedule, timeout in CRON]
