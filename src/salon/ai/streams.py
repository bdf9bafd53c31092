"""A reply's frames live in a Valkey Stream per AI message (``ai:reply:{message_id}``).

The generation task appends ``ai_start``, ``ai_chunk``... and one terminal frame (``ai_complete`` or ``error``); any
number of readers, in any process, read it from the start or from a ``Last-Event-ID`` (the stream entry id, which is
also the SSE ``id:``) and then follow it live with ``XREAD BLOCK``. A finished stream is kept for
``SALON_AI_STREAM_RETENTION_SECONDS`` so a client that refreshes can still replay it.

While the reply is produced by this process (the usual case: the generation task runs where the message was sent),
readers here do not poll Valkey: ``open_local`` registers the reply, ``FrameWriter`` hands each chunk to this
process's readers as it writes it (with the entry id it gave it), and ``append`` hands over a frame once it is in the
stream. A reader subscribes before it reads the backlog (``XRANGE``, through the same shared pipeline as the writes),
so nothing falls between the two, and drops what it already sent. That keeps Valkey connections and round trips
independent of the number of readers (a blocking ``XREAD`` holds a connection per reader: 2,000 streams meant 2,000
connections). A reader that falls behind, or outlives the local producer without seeing the terminal frame, goes back
to the stream.

On shutdown (``salon.lib.shutdown``) a reader ends at once with an ``ai_reconnect`` frame (re-attach elsewhere with
its ``id:`` as ``Last-Event-ID``), except while the reply is produced by this process: that reply is interrupted and
ends with its own terminal frame within moments, which the reader still delivers.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Final

import msgspec
from litestar.response import ServerSentEventMessage
from valkey.asyncio import Valkey

from salon.lib import shutdown
from salon.lib import valkey as valkey_client
from salon.lib.errors import AppError
from salon.lib.mailbox import Mailbox

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


# Local delivery ------------------------------------------------------------------------------------------------------

Frame = tuple[str, str, str]  # (entry id, event, data)
LOCAL_QUEUE_LIMIT = 1024
_FELL_BEHIND: Final = "fell_behind"  # the reader's queue overflowed: re-read the stream
_PRODUCER_GONE: Final = "producer_gone"  # the local producer ended: whatever it did not deliver is in the stream


class _LocalReply:
    """The readers in this process of a reply produced in this process."""

    def __init__(self) -> None:
        self.readers: set[Mailbox[Frame | str]] = set()

    def deliver(self, item: Frame | str) -> None:
        for mailbox in self.readers:
            mailbox.put(item)  # a reader LOCAL_QUEUE_LIMIT behind gets _FELL_BEHIND instead of its backlog


_local: dict[str, _LocalReply] = {}


def open_local(message_id: str) -> None:
    """This process produces the reply: deliver its frames to local readers directly (see the module doc)."""
    _local.setdefault(message_id, _LocalReply())


def close_local(message_id: str) -> None:
    """The local producer is done (its terminal frame, if it wrote one, has been delivered)."""
    reply = _local.pop(message_id, None)
    if reply is not None:
        reply.deliver(_PRODUCER_GONE)


def entry_key(entry_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)


# Writing -----------------------------------------------------------------------------------------------------------


async def append(
    message_id: str,
    event: str,
    data: msgspec.Struct,
    *,
    retention: int | None = None,
    first: Sequence[valkey_client.Command] = (),
) -> str:
    """Append one frame, in the pipeline this process shares (``valkey.pipelined``), and hand it to this process's
    readers once it is in the stream. The first and the terminal frame also set how long the stream is kept.
    ``first``: commands that must take effect before any reader sees the frame, sent ahead of it in the same round
    trip. Returns the frame's entry id."""
    key = stream_key(message_id)
    payload = msgspec.json.encode(data).decode()
    commands = [*first, ("XADD", key, "*", "event", event, "data", payload)]
    if retention is not None:
        commands.append(("EXPIRE", key, retention))
    entry_id = str((await valkey_client.pipelined(*commands))[len(first)])
    _deliver_locally(message_id, entry_id, event, payload)
    return entry_id


def _deliver_locally(message_id: str, entry_id: str, event: str, payload: str) -> None:
    local = _local.get(message_id)
    if local is not None:
        local.deliver((entry_id, event, payload))


class FrameWriter:
    """Appends a reply's chunks in order without making the producer wait for each: a chunk goes into the pipeline
    the process's replies share (``valkey.submit``) as it is written, so the chunks that arrive while a pipeline is in
    flight, of this reply and of the others, go together in the next. A model that streams faster than Valkey answers
    costs a round trip per burst, not per chunk.

    The writer names its entries itself, following the ``ai_start`` frame's id (``after``): ``<ms>-<seq + 1>``,
    ``<ms>-<seq + 2>``... So a chunk goes to this process's readers as it is written, not a Valkey round trip later
    (under load, the wait for the shared pipeline was most of the latency a chunk gained in salon). A reader that
    joins reads its backlog through the same pipeline, behind every chunk written before it subscribed
    (``_entries_after``), so none falls between the two."""

    def __init__(self, message_id: str, after: str) -> None:
        self.message_id = message_id
        self._milliseconds, self._sequence = entry_key(after)
        self._last: asyncio.Future[list[Any]] | None = None
        self._error: BaseException | None = None

    def write(self, event: str, data: msgspec.Struct) -> None:
        """Queue a frame (raises the error of an earlier write that failed: the stream has a gap from there on)."""
        if self._error is not None:
            raise self._error
        self._sequence += 1
        entry_id = f"{self._milliseconds}-{self._sequence}"
        payload = msgspec.json.encode(data).decode()
        written = valkey_client.submit(("XADD", stream_key(self.message_id), entry_id, "event", event, "data", payload))
        written.add_done_callback(self._written)
        self._last = written
        _deliver_locally(self.message_id, entry_id, event, payload)

    def _written(self, written: asyncio.Future[list[Any]]) -> None:
        error = written.exception()  # kept for write() and drain(): the producer stops at its next chunk
        if error is not None:
            self._error = self._error or error

    async def drain(self) -> None:
        """Return once every frame written so far is in the stream; raise the error if a write failed. A cancelled
        caller does not interrupt the writes under way. (The shared pipeline answers in the order written, so the last
        write answered means all were.)"""
        if self._last is not None:
            await asyncio.wait({self._last})
        if self._error is not None:
            raise self._error


async def chunk_texts(message_id: str) -> list[str]:
    """The deltas appended so far (rebuilds the partial text of a generation that died with its process)."""
    entries = await valkey_client.client().xrange(stream_key(message_id))
    return [msgspec.json.decode(fields["data"])["delta"] for _, fields in entries if fields["event"] == "ai_chunk"]


async def exists(message_id: str) -> bool:
    return bool(await valkey_client.client().exists(stream_key(message_id)))


async def ended_by(message_id: str, cursor: str) -> bool:
    """Has a reader at entry ``cursor`` every frame of the reply: its last frame is the terminal one, at or before
    ``cursor``? (Not "the message is stored as finished": the outcome is stored just before the terminal frame is
    appended, and a reader in between still has that frame to get.)"""
    last = await valkey_client.client().xrevrange(stream_key(message_id), count=1)
    if not last:
        return False
    entry_id, fields = last[0]
    return fields["event"] in TERMINAL_EVENTS and entry_key(cursor) >= entry_key(entry_id)


class Reconnect(msgspec.Struct):
    """``ai_reconnect``: this server is shutting down; re-attach with ``GET .../stream`` and ``Last-Event-ID``."""

    message_id: str
    detail: str


RECONNECT_DETAIL = "This server is restarting. Re-attach to the reply with Last-Event-ID set to this frame's id."


class _Position:
    """How far a reader got: the last entry it sent, and whether that was the terminal frame."""

    def __init__(self, cursor: str) -> None:
        self.cursor = cursor
        self.finished = False
        self.last_sent = time.monotonic()

    def frame(self, entry_id: str, event: str, data: str) -> ServerSentEventMessage:
        self.cursor, self.last_sent = entry_id, time.monotonic()
        self.finished = event in TERMINAL_EVENTS
        return ServerSentEventMessage(id=entry_id, event=event, data=data)

    def heartbeat_due(self) -> bool:
        if time.monotonic() - self.last_sent < HEARTBEAT_SECONDS:
            return False
        self.last_sent = time.monotonic()
        return True


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
    position = _Position(after or "0-0")
    yield ServerSentEventMessage(data=None, comment="salon ai reply stream")
    local = _local.get(message_id)
    if local is not None:
        async for frame in _follow_local(message_id, local, position, on_idle):
            yield frame
        if position.finished:
            return
    async for frame in _follow_stream(message_id, position, on_idle, produced_here):
        yield frame


async def _follow_local(
    message_id: str, local: _LocalReply, position: _Position, on_idle: Callable[[], Awaitable[None]]
) -> AsyncIterator[ServerSentEventMessage]:
    """Frames handed over by the local producer; returns (unfinished) when the producer is gone without a terminal
    frame, for the stream reader to take over."""
    mailbox: Mailbox[Frame | str] = Mailbox(LOCAL_QUEUE_LIMIT, _FELL_BEHIND)
    local.readers.add(mailbox)
    try:
        backlog = True  # subscribed first, then read what was appended before: nothing falls in between
        while True:
            if backlog:
                backlog = False
                for entry_id, event, data in await _entries_after(message_id, position.cursor):
                    yield position.frame(entry_id, event, data)
                    if position.finished:
                        return
            item = await mailbox.get(BLOCK_MS / 1000)
            if item is None:
                if _local.get(message_id) is not local:
                    return  # the producer ended while this reader's queue was full: its signal was dropped
                await on_idle()
                if position.heartbeat_due():
                    yield ServerSentEventMessage(data=None, comment="heartbeat")
                continue
            if isinstance(item, str):
                if item == _PRODUCER_GONE:
                    return
                backlog = True  # _FELL_BEHIND
                continue
            entry_id, event, data = item
            if entry_key(entry_id) <= entry_key(position.cursor):
                continue  # already sent from the backlog
            yield position.frame(entry_id, event, data)
            if position.finished:
                return
    finally:
        local.readers.discard(mailbox)


async def _entries_after(message_id: str, cursor: str) -> list[Frame]:
    """The frames after ``cursor`` in the stream, read through the shared pipeline: behind every frame this process
    wrote before asking (``FrameWriter`` hands its chunks to local readers before Valkey has them)."""
    (entries,) = await valkey_client.pipelined(("XRANGE", stream_key(message_id), f"({cursor}", "+"))
    return [(entry_id, fields["event"], fields["data"]) for entry_id, fields in entries]


async def _follow_stream(
    message_id: str,
    position: _Position,
    on_idle: Callable[[], Awaitable[None]],
    produced_here: Callable[[], bool],
) -> AsyncIterator[ServerSentEventMessage]:
    """Frames read from the Valkey stream with ``XREAD BLOCK`` (a reply produced in another process, or one whose
    local producer is gone)."""
    client = valkey_client.blocking_client()
    key = stream_key(message_id)
    stopping = asyncio.ensure_future(shutdown.wait())
    try:
        while True:
            if stopping.done() and not produced_here():
                yield reconnect_frame(message_id, position.cursor)
                return
            batches = await read_unless_stopping(client, key, position.cursor, None if stopping.done() else stopping)
            if batches is None:
                continue  # shutdown began while waiting: the loop's first check decides
            if not batches:
                if stopping.done():
                    yield reconnect_frame(message_id, position.cursor)
                    return
                await on_idle()
                if position.heartbeat_due():
                    yield ServerSentEventMessage(data=None, comment="heartbeat")
                continue
            for entry_id, fields in batches[0][1]:
                yield position.frame(entry_id, fields["event"], fields["data"])
                if position.finished:
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
