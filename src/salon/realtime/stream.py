"""One user's Server-Sent Events stream: replay from the log, then live, with no gap and no duplicate.

Order of operations (what makes it gap-free):
1. subscribe to the user's live events (the process-wide hub is already subscribed to Valkey);
2. read the log after the resume point (one atomic snapshot), and send it;
3. send live events, dropping any whose id is not newer than the last one sent (replay and live overlap).
An event appended after step 2 is announced after it too, so it arrives live. Ephemeral events carry no id and are
never replayed. When the hub may have missed messages (reconnect, slow client) the stream re-reads the log.

When the viewer's session or token is revoked, the hub (or the lease keeper's periodic check) ends the subscription:
the stream sends one ``session.ended`` event saying why and closes.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import AsyncIterator

import anyio
import msgspec
from litestar.response import ServerSentEventMessage

from salon.lib import shutdown
from salon.lib.auth import Viewer
from salon.realtime import eventlog, presence
from salon.realtime.eventlog import LogEntry, Snapshot, StreamId
from salon.realtime.events import Refetch, SessionEnded
from salon.realtime.hub import CLOSED, RESYNC, Ended, LiveEvent, hub, leases
from salon.settings import Settings

log = logging.getLogger("salon.realtime.stream")

OPENING_COMMENT = "salon events"
HEARTBEAT_COMMENT = "heartbeat"
# As long as a command may wait for a pooled Valkey connection: 5,000 streams closing together record their ends
# through the bounded pool in a few seconds (at 2 s, 3,151 of 5,000 gave up: no offline event reached friends).
CLOSE_BOOKKEEPING_SECONDS = 15.0
REFETCH_PAYLOAD = msgspec.json.encode(Refetch()).decode()


def _frame(entry: LogEntry) -> ServerSentEventMessage:
    return ServerSentEventMessage(id=str(entry.id), event=entry.name, data=entry.payload)


def _ended_frame(ended: Ended) -> ServerSentEventMessage:
    return ServerSentEventMessage(event="session.ended", data=msgspec.json.encode(SessionEnded(ended.reason)).decode())


class EventStream:
    def __init__(self, viewer: Viewer, resume_from: StreamId | None, settings: Settings) -> None:
        self.viewer = viewer
        self.user_id = viewer.id
        self.resume_from = resume_from
        self.settings = settings
        self.stream_id = uuid.uuid4().hex
        self.position: StreamId | None = None  # id of the last logged event sent (or the starting point)

    async def frames(self) -> AsyncIterator[ServerSentEventMessage]:
        heartbeat = self.settings.events_heartbeat_seconds
        keeper = leases()
        try:
            with hub().subscribe(self.user_id, self.viewer) as subscription:
                await presence.stream_opened(self.user_id, self.stream_id, keeper.lease_ms)
                keeper.add(self.stream_id, self.user_id, subscription)
                snapshot = await self._read(self.resume_from)
                fresh = self.resume_from is None
                yield ServerSentEventMessage(
                    comment=OPENING_COMMENT, id=str(snapshot.tail) if fresh else None, data=None
                )
                for frame in self._catch_up(snapshot, self.resume_from):
                    yield frame
                while True:
                    try:  # jittered: streams opened together must not all write their heartbeat together
                        async with asyncio.timeout(heartbeat * random.uniform(0.8, 1.0)):  # noqa: S311
                            item = await subscription.next()
                    except TimeoutError:
                        yield ServerSentEventMessage(comment=HEARTBEAT_COMMENT, data=None)
                        continue
                    if isinstance(item, Ended):  # access revoked: say why (so the client does not reconnect), end
                        yield _ended_frame(item)
                        return
                    if item == CLOSED:
                        return
                    if item == RESYNC:
                        for frame in self._catch_up(await self._read(self.position), self.position):
                            yield frame
                        continue
                    assert isinstance(item, LiveEvent)
                    live_frame = self._live(item)
                    if live_frame is not None:
                        yield live_frame
        finally:
            with anyio.CancelScope(shield=True):
                await keeper.forget(self.stream_id)  # before the close is recorded: a renewal must not undo it
                await self._closed()

    async def _read(self, after: StreamId | None) -> Snapshot:
        return await eventlog.read_after(
            self.user_id,
            after,
            max_age_ms=self.settings.events_log_max_age_seconds * 1000,
            max_entries=self.settings.events_log_max_length,
        )

    def _catch_up(self, snapshot: Snapshot, after: StreamId | None) -> list[ServerSentEventMessage]:
        """Frames for a snapshot: a refetch (continuing from the tail), or the entries after ``after``."""
        if snapshot.refetch:
            self.position = snapshot.tail
            return [ServerSentEventMessage(id=str(snapshot.tail), event="refetch", data=REFETCH_PAYLOAD)]
        self.position = snapshot.tail if after is None else after
        frames = []
        for entry in snapshot.entries:
            if entry.id > self.position:
                frames.append(_frame(entry))
                self.position = entry.id
        return frames

    def _live(self, event: LiveEvent) -> ServerSentEventMessage | None:
        if not event.entry_id:  # ephemeral
            return ServerSentEventMessage(event=event.name, data=event.payload)
        entry_id = StreamId.parse(event.entry_id)
        if self.position is not None and entry_id <= self.position:
            return None  # already sent in the replay
        self.position = entry_id
        return ServerSentEventMessage(id=event.entry_id, event=event.name, data=event.payload)

    async def _closed(self) -> None:
        """Record the end of the stream for presence. Not while shutting down: Valkey may be stopping too, and
        thousands of streams ending at once must not hold the process past Granian's kill timeout; their leases
        run out by themselves (as for a crashed process)."""
        if shutdown.requested():
            return
        try:
            async with asyncio.timeout(CLOSE_BOOKKEEPING_SECONDS):
                await presence.stream_closed(
                    self.user_id, self.stream_id, grace_ms=self.settings.presence_grace_seconds * 1000
                )
        except Exception:  # Valkey unreachable: the stream's lease simply runs out
            log.warning("could not record the end of stream %s", self.stream_id, exc_info=True)
