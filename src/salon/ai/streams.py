"""A reply's frames live in a Valkey Stream per AI message (``ai:reply:{message_id}``).

The generation task appends ``ai_start``, ``ai_chunk``... and one terminal frame (``ai_complete`` or ``error``); any
number of readers, in any process, read it from the start or from a ``Last-Event-ID`` (the stream entry id, which is
also the SSE ``id:``) and then follow it live with ``XREAD BLOCK``. A finished stream is kept for
``SALON_AI_STREAM_RETENTION_SECONDS`` so a client that refreshes can still replay it.

On shutdown (``salon.lib.shutdown``) a reader ends at once with an ``ai_reconnect`` frame (re-attach elsewhere with
its ``id:`` as ``Last-Event-ID``), except while the reply is produced by this process: that reply is interrupted and
ends with its own terminal frame within moments, which the reader still delivers.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
from litestar.response import ServerSentEventMessage
from valkey.asyncio import Valkey

from salon.lib import shutdown
from salon.lib import valkey as valkey_client
from salon.lib.errors import AppError

TERMINAL_EVENTS = frozenset({"ai_complete", "error"})
HEARTBEAT_SECONDS = 15.0
BLOCK_MS = 3000  # below the shared Valkey client's socket timeout (5 s)
LIVE_TTL_SECONDS = 6 * 3600  # bound on a stream whose writer vanished before setting the retention
READ_BATCH = 256
STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


class BadLastEventId(AppError):
    status_code = 400
    title = "Invalid Last-Event-ID"


def stream_key(message_id: str) -> str:
    return f"ai:reply:{message_id}"


def check_last_event_id(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not STREAM_ID.match(value):
        raise BadLastEventId(
            "Last-Event-ID must be the id: of a frame this stream sent (like '1700000000000-0'); omit it to replay "
            "the reply from the start."
        )
    return value


async def append(message_id: str, event: str, data: msgspec.Struct, *, retention: int | None = None) -> str:
    """Append one frame; the first and the terminal frame also set how long the stream is kept."""
    client = valkey_client.client()
    payload = msgspec.json.encode(data).decode()
    if retention is None:
        return str(await client.xadd(stream_key(message_id), {"event": event, "data": payload}))
    async with client.pipeline(transaction=False) as pipe:
        pipe.xadd(stream_key(message_id), {"event": event, "data": payload})
        pipe.expire(stream_key(message_id), retention)
        entry_id, _ = await pipe.execute()
    return str(entry_id)


async def chunk_texts(message_id: str) -> list[str]:
    """The deltas appended so far (rebuilds the partial text of a generation that died with its process)."""
    entries = await valkey_client.client().xrange(stream_key(message_id))
    return [msgspec.json.decode(fields["data"])["delta"] for _, fields in entries if fields["event"] == "ai_chunk"]


async def exists(message_id: str) -> bool:
    return bool(await valkey_client.client().exists(stream_key(message_id)))


class Reconnect(msgspec.Struct):
    """``ai_reconnect``: this server is shutting down; re-attach with ``GET .../stream`` and ``Last-Event-ID``."""

    message_id: str
    detail: str


RECONNECT_DETAIL = "This server is restarting. Re-attach to the reply with Last-Event-ID set to this frame's id."


async def follow(
    message_id: str,
    after: str | None,
    on_idle: Callable[[], Awaitable[None]],
    produced_here: Callable[[], bool] = lambda: False,
) -> AsyncIterator[ServerSentEventMessage]:
    """SSE frames of the reply after entry ``after`` (from the start when ``None``), live until the terminal frame.

    Opens with a comment and sends a heartbeat comment when nothing was sent for ``HEARTBEAT_SECONDS``. Whenever
    nothing arrives for a while it calls ``on_idle`` (the caller checks that the generation is still alive, and ends
    the stream with an ``error`` frame when it is not). On shutdown it ends with ``ai_reconnect`` unless
    ``produced_here()`` (then the interrupted reply's terminal frame follows at once; it waits one idle read at most).
    """
    client = valkey_client.client()
    key = stream_key(message_id)
    cursor = after or "0-0"
    yield ServerSentEventMessage(data=None, comment="salon ai reply stream")
    last_sent = time.monotonic()
    stopping = asyncio.ensure_future(shutdown.wait())
    try:
        while True:
            if stopping.done() and not produced_here():
                yield reconnect_frame(message_id, cursor)
                return
            batches = await read_unless_stopping(client, key, cursor, None if stopping.done() else stopping)
            if batches is None:
                continue  # shutdown began while waiting: the loop's first check decides
            if not batches:
                if stopping.done():
                    yield reconnect_frame(message_id, cursor)
                    return
                await on_idle()
                if time.monotonic() - last_sent >= HEARTBEAT_SECONDS:
                    last_sent = time.monotonic()
                    yield ServerSentEventMessage(data=None, comment="heartbeat")
                continue
            last_sent = time.monotonic()
            for entry_id, fields in batches[0][1]:
                cursor = entry_id
                yield ServerSentEventMessage(id=entry_id, event=fields["event"], data=fields["data"])
                if fields["event"] in TERMINAL_EVENTS:
                    return
    finally:
        stopping.cancel()


async def read_unless_stopping(
    client: Valkey, key: str, cursor: str, stopping: asyncio.Future[None] | None
) -> list[Any] | None:
    """``XREAD BLOCK`` after ``cursor``; ``None`` when ``stopping`` completes first (the read is abandoned)."""
    read = asyncio.ensure_future(client.xread({key: cursor}, count=READ_BATCH, block=BLOCK_MS))
    if stopping is None:
        return await read
    await asyncio.wait({read, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if read.done():
        return read.result()
    read.cancel()
    await asyncio.wait({read})
    return None


def reconnect_frame(message_id: str, cursor: str) -> ServerSentEventMessage:
    """Its ``id:`` is the last frame delivered, so re-attaching from it repeats nothing and skips nothing."""
    data = msgspec.json.encode(Reconnect(message_id=message_id, detail=RECONNECT_DETAIL)).decode()
    return ServerSentEventMessage(id=cursor, event="ai_reconnect", data=data, retry=1000)
