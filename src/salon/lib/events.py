"""The one event publisher, with two audiences.

- ``publish(name, data, recipients)``: a client-facing event for users. After the current unit of work commits it is
  appended to each recipient's Valkey Stream (their resumable event log) and published on their channel for live
  delivery over SSE.
- ``emit(name, data)``: a domain event for other packages (``post.created``, ``post.liked``, ``user.followed`` ...).
  After commit it is handed to the worker as a job, which runs every ``@subscriber(name)`` handler. Fan-out,
  notifications and counters that are not needed in the response all hang off domain events, off the request path.

Every event type is a msgspec Struct registered with ``@event_type(name)`` and documented in docs/api.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import msgspec

from salon.lib import db
from salon.lib import valkey as valkey_client

log = logging.getLogger("salon.events")

EVENT_TYPES: dict[str, type[msgspec.Struct]] = {}
LOG_MAX_LEN = 1000  # per-user stream length; the real-time issue moves this (and an age bound) into settings


def event_type(name: str) -> Any:
    """Class decorator: register a Struct as the schema of event ``name``."""

    def register(cls: type[msgspec.Struct]) -> type[msgspec.Struct]:
        if name in EVENT_TYPES and EVENT_TYPES[name] is not cls:
            raise RuntimeError(f"event type {name!r} registered twice")
        EVENT_TYPES[name] = cls
        return cls

    return register


def user_log_key(user_id: str) -> str:
    return f"events:log:{user_id}"


def user_channel(user_id: str) -> str:
    return f"events:live:{user_id}"


async def publish(name: str, data: msgspec.Struct, recipients: Iterable[str]) -> None:
    """Deliver event ``name`` to ``recipients`` (user ids) once the current unit of work has committed."""
    schema = EVENT_TYPES.get(name)
    if schema is None or not isinstance(data, schema):
        raise TypeError(f"event {name!r} must be published with its registered schema")
    targets = sorted(set(recipients))
    if not targets:
        return
    payload = msgspec.json.encode(data).decode()

    async def deliver() -> None:
        client = valkey_client.client()
        now_ms = str(int(time.time() * 1000))
        async with client.pipeline(transaction=False) as pipe:
            for user_id in targets:
                pipe.xadd(
                    user_log_key(user_id),
                    {"event": name, "data": payload, "ts": now_ms},
                    maxlen=LOG_MAX_LEN,
                    approximate=True,
                )
            ids = await pipe.execute()
        async with client.pipeline(transaction=False) as pipe:
            for user_id, entry_id in zip(targets, ids, strict=True):
                pipe.publish(user_channel(user_id), f"{entry_id}\n{name}\n{payload}")
            await pipe.execute()

    await db.after_commit(deliver)


# Domain events --------------------------------------------------------------------------------------------------

Subscriber = Callable[[Any], Awaitable[None]]
SUBSCRIBERS: dict[str, list[Subscriber]] = {}


def subscriber(name: str) -> Callable[[Subscriber], Subscriber]:
    """Register ``async def handler(event)`` to run in the worker for every domain event ``name``."""

    def register(handler: Subscriber) -> Subscriber:
        SUBSCRIBERS.setdefault(name, []).append(handler)
        return handler

    return register


async def emit(name: str, data: msgspec.Struct) -> None:
    """Hand domain event ``name`` to its subscribers (in the worker) once the current unit of work commits."""
    schema = EVENT_TYPES.get(name)
    if schema is None or not isinstance(data, schema):
        raise TypeError(f"event {name!r} must be emitted with its registered schema")
    from salon.lib import jobs

    await jobs.enqueue(dispatch_domain_event, name=name, payload=msgspec.json.encode(data).decode())


async def dispatch_domain_event(ctx: dict[str, Any], *, name: str, payload: str) -> None:
    """Job: decode a domain event and run its subscribers (each failure is logged; the job retries as a whole)."""
    event = msgspec.json.decode(payload, type=EVENT_TYPES[name])
    for handler in SUBSCRIBERS.get(name, []):
        await handler(event)


def _register_dispatch_job() -> None:
    from salon.lib.jobs import job

    job(timeout=120, retries=5)(dispatch_domain_event)


_register_dispatch_job()
