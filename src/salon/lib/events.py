"""The one event publisher, with two audiences.

- ``publish(name, data, recipients)``: a client-facing event for users. After the current unit of work commits it is
  appended to each recipient's Valkey Stream (their resumable event log) and published on their channel for live
  delivery over SSE.
- ``emit(name, data)``: a domain event for other packages (``post.created``, ``post.liked``, ``user.followed`` ...).
  After commit it is handed to the worker as one job per job queue its ``@subscriber(name, queue=...)`` handlers
  declared; each job runs that queue's handlers. Fan-out, notifications and counters that are not needed in the
  response all hang off domain events, off the request path.

Every event type is a msgspec Struct registered with ``@event_type(name)`` and documented in docs/api.md.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import msgspec

from salon.lib import db
from salon.lib import valkey as valkey_client

log = logging.getLogger("salon.events")

EVENT_TYPES: dict[str, type[msgspec.Struct]] = {}
EPHEMERAL_EVENTS: set[str] = set()
LIVE_CHANNEL_PATTERN = "events:live:*"


def event_type(name: str, *, ephemeral: bool = False) -> Any:
    """Class decorator: register a Struct as the schema of event ``name``.

    ``ephemeral=True`` (typing, presence): ``publish`` sends it live only, without an id; it is not kept in the log,
    so it is never replayed and it never pushes a lasting event out of a bounded log.
    """

    def register(cls: type[msgspec.Struct]) -> type[msgspec.Struct]:
        if name in EVENT_TYPES and EVENT_TYPES[name] is not cls:
            raise RuntimeError(f"event type {name!r} registered twice")
        EVENT_TYPES[name] = cls
        if ephemeral:
            EPHEMERAL_EVENTS.add(name)
        return cls

    return register


def user_log_key(user_id: str) -> str:
    return f"events:log:{user_id}"


def user_channel(user_id: str) -> str:
    return f"events:live:{user_id}"


def live_message(entry_id: str, name: str, payload: str) -> str:
    """What travels on a user's channel: ``"{entry_id}\n{name}\n{json}"`` (``entry_id`` is empty when ephemeral)."""
    return f"{entry_id}\n{name}\n{payload}"


# Appends to the user's log, trims it to both bounds (exactly: a replay decision relies on it), and announces the new
# entry in the same atomic step, so announcements on a channel arrive in log order even with many publishers.
_APPEND_AND_ANNOUNCE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'event', ARGV[3], 'data', ARGV[4])
redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d', now_ms - tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', KEYS[2], id .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[4])
return id
"""


async def publish(name: str, data: msgspec.Struct, recipients: Iterable[str]) -> None:
    """Deliver event ``name`` to ``recipients`` (user ids) once the current unit of work has committed.

    Logged events are appended to each recipient's event log (bounded by ``events_log_max_length`` and
    ``events_log_max_age_seconds``) and announced on their live channel; ephemeral ones are only announced.
    """
    schema = EVENT_TYPES.get(name)
    if schema is None or not isinstance(data, schema):
        raise TypeError(f"event {name!r} must be published with its registered schema")
    targets = sorted(set(recipients))
    if not targets:
        return
    payload = msgspec.json.encode(data).decode()
    deliver = _announce if name in EPHEMERAL_EVENTS else _append_and_announce_all
    await db.after_commit(lambda: deliver(name, payload, targets))


async def _announce(name: str, payload: str, targets: list[str]) -> None:
    message = live_message("", name, payload)
    async with valkey_client.client().pipeline(transaction=False) as pipe:
        for user_id in targets:
            pipe.publish(user_channel(user_id), message)
        await pipe.execute()


async def _append_and_announce_all(name: str, payload: str, targets: list[str]) -> None:
    from salon.settings import get_settings

    settings = get_settings()
    script = valkey_client.script(_APPEND_AND_ANNOUNCE)
    bounds = (settings.events_log_max_length, settings.events_log_max_age_seconds * 1000)
    calls = [
        valkey_client.ScriptCall(script, [user_log_key(user_id), user_channel(user_id)], [*bounds, name, payload])
        for user_id in targets
    ]
    await valkey_client.run_scripts(calls, raise_on_error=True)


# Domain events --------------------------------------------------------------------------------------------------

Subscriber = Callable[[Any], Awaitable[None]]
# Every handler of each event, in registration order, and the job queue of each handler (one missing there, such as
# a test's, runs on the default queue).
SUBSCRIBERS: dict[str, list[Subscriber]] = {}
SUBSCRIBER_QUEUES: dict[Subscriber, str] = {}


def subscriber(name: str, *, queue: str | None = None) -> Callable[[Subscriber], Subscriber]:
    """Register ``async def handler(event)`` to run in the worker for every domain event ``name``.

    ``queue`` names the job queue it runs on (``salon.lib.jobs.QUEUES``; the default queue when omitted). Handlers on
    one queue run in one job, in registration order, and are retried together; handlers on another queue are not.
    """
    from salon.lib import jobs

    target = queue or jobs.DEFAULT_QUEUE
    if target not in jobs.QUEUES:
        raise RuntimeError(f"subscriber of {name!r}: there is no job queue {target!r} (queues: {jobs.QUEUES})")

    def register(handler: Subscriber) -> Subscriber:
        if SUBSCRIBER_QUEUES.setdefault(handler, target) != target:
            raise RuntimeError(f"subscriber {handler.__name__!r} is registered on two job queues")
        SUBSCRIBERS.setdefault(name, []).append(handler)
        return handler

    return register


def subscribers_of(name: str, queue: str | None) -> list[Subscriber]:
    """The handlers of event ``name`` that run on job ``queue`` (all of them when ``queue`` is None)."""
    from salon.lib import jobs

    handlers = SUBSCRIBERS.get(name, [])
    if queue is None:
        return list(handlers)
    return [handler for handler in handlers if SUBSCRIBER_QUEUES.get(handler, jobs.DEFAULT_QUEUE) == queue]


def queues_of(name: str) -> list[str]:
    """The job queues that have handlers of event ``name``, in ``jobs.QUEUES`` order (none: nothing to run)."""
    from salon.lib import jobs

    return [queue for queue in jobs.QUEUES if subscribers_of(name, queue)]


async def emit(name: str, data: msgspec.Struct) -> None:
    """Hand domain event ``name`` to its subscribers (in the worker) once the current unit of work commits: one job
    on each queue that has subscribers of ``name``, so each queue's handlers run (and retry) on their own."""
    schema = EVENT_TYPES.get(name)
    if schema is None or not isinstance(data, schema):
        raise TypeError(f"event {name!r} must be emitted with its registered schema")
    from salon.lib import jobs

    payload = msgspec.json.encode(data).decode()
    async with jobs.batch():  # its jobs (one per queue) reach Valkey in one round trip, or in the caller's batch
        for queue in queues_of(name):
            await jobs.enqueue(dispatch_domain_event, queue=queue, name=name, payload=payload, queue_name=queue)


async def dispatch_domain_event(ctx: dict[str, Any], *, name: str, payload: str, queue_name: str | None = None) -> None:
    """Job: decode a domain event and run its subscribers on ``queue_name`` (the job retries as a whole).

    ``queue_name`` is None only in jobs queued before subscribers had queues: those run every subscriber.
    """
    event = msgspec.json.decode(payload, type=EVENT_TYPES[name])
    for handler in subscribers_of(name, queue_name):
        await handler(event)


def _register_dispatch_job() -> None:
    from salon.lib.jobs import job

    job(timeout=120, retries=5)(dispatch_domain_event)


_register_dispatch_job()
