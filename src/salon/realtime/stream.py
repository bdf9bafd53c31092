"""One user's Server-Sent Events stream: replay from the log, then live, with no gap and no duplicate.

Order of operations (what makes it gap-free):
1. subscribe to the user's live events (the process-wide hub is already subscribed to Valkey);
2. read the log after the resume point (one atomic snapshot), and send it;
3. send live events, dropping any whose id is not newer than the last one sent (replay and live overlap).
An event appended after step 2 is announced after it too, so it arrives live. Ephemeral events carry no id and are
never replayed. When the hub may have missed messages (reconnect, slow client) the stream re-reads the log.

When the viewer's session or token is revoked, the hub (or the lease keeper's periodic check) ends the subscription:
the stream sends one ``session.ended`` event saying why and closes. A revocation that landed after the stream's
credential was checked but before it subscribed reached no subscription: so once subscribed, and before sending
anything, the stream reads the revocation keys itself (one MGET). A revocation after that MGET is announced after the
subscription existed, so the hub delivers it.

A stream also lives no longer than its credential: at the access token's expiry (for a ticket, the expiry of the token
it was issued from) it sends ``session.ended`` with ``token_expired``. The wait for the next live event simply never
lasts past that deadline: no timer or poll of its own.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator

import anyio
import msgspec
from litestar.response import ServerSentEventMessage

from salon.lib import auth, shutdown
from salon.lib.auth import Viewer
from salon.realtime import eventlog, presence
from salon.realtime.eventlog import LogEntry, Snapshot, StreamId
from salon.realtime.events import EndReason, Refetch, SessionEnded
from salon.realtime.hub import CLOSED, RESYNC, Ended, LiveEvent, hub, leases
from salon.settings import Settings

log = logging.getLogger("salon.realtime.stream")

OPENING_COMMENT = "salon events"
HEARTBEAT_COMMENT = "heartbeat"
# As long as a command may wait for a pooled Valkey connection: 5,000 streams closing together record their ends
# through the bounded pool in a few seconds (at 2 s, 3,151 of 5,000 gave up: no offline event reached friends).
CLOSE_BOOKKEEPING_SECONDS = 15.0
REFETCH_PAYLOAD = msgspec.json.encode(Refetch()).decode()
TOKEN_EXPIRED: EndReason = "token_expired"


def _frame(entry: LogEntry) -> ServerSentEventMessage:
    return ServerSentEventMessage(id=str(entry.id), event=entry.name, data=entry.payload)


def _ended_frame(reason: EndReason) -> ServerSentEventMessage:
    return ServerSentEventMessage(event="session.ended", data=msgspec.json.encode(SessionEnded(reason)).decode())


class EventStream:
    """``expires_at``: when the stream's credential expires (epoch seconds); the stream ends then (None: never)."""

    def __init__(
        self, viewer: Viewer, resume_from: StreamId | None, settings: Settings, expires_at: float | None = None
    ) -> None:
        self.viewer = viewer
        self.user_id = viewer.id
        self.resume_from = resume_from
        self.settings = settings
        self.expires_at = expires_at
        self.stream_id = uuid.uuid4().hex
        self.position: StreamId | None = None  # id of the last logged event sent (or the starting point)

    async def frames(self) -> AsyncIterator[ServerSentEventMessage]:
        heartbeat = self.settings.events_heartbeat_seconds
        keeper = leases()
        opened = False
        try:
            with hub().subscribe(self.user_id, self.viewer) as subscription:
                if (
                    revoked := await auth.revoked(self.viewer)
                ) is not None:  # revoked before the subscription could hear of it
                    yield _ended_frame(revoked)
                    return
                opened = True
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
                    # jittered: streams opened together must not all write their heartbeat together
                    wait = heartbeat * random.uniform(0.8, 1.0)  # noqa: S311
                    expiring = False  # the credential expires within this wait
                    if self.expires_at is not None and (left := self.expires_at - time.time()) <= wait:
                        wait, expiring = left, True
                    try:
                        if wait <= 0:
                            raise TimeoutError
                        async with asyncio.timeout(wait):
                            item = await subscription.next()
                    except TimeoutError:
                        if expiring:  # the client refreshes its token and resumes from the last id it got
                            yield _ended_frame(TOKEN_EXPIRED)
                            return
                        yield ServerSentEventMessage(comment=HEARTBEAT_COMMENT, data=None)
                        continue
                    if isinstance(item, Ended):  # access revoked: say why (so the client does not reconnect), end
                        yield _ended_frame(item.reason)
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
            if opened:
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
