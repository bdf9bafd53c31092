"""The one event publisher.

``publish`` announces an event to users after the current unit of work commits: it appends the event to each
recipient's Valkey Stream (their resumable event log, bounded by length) and publishes it on their channel for live
delivery. Every event type is a msgspec Struct registered in ``EVENT_TYPES`` and documented in docs/api.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
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
