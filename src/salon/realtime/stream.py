"""One user's Server-Sent Events stream: replay from the log, then live, with no gap and no duplicate.

Order of operations (what makes it gap-free):
1. subscribe to the user's live events (the process-wide hub is already subscribed to Valkey);
2. read the log after the resume point (one atomic snapshot), and send it;
3. send live events, dropping any whose id is not newer than the last one sent (replay and live overlap).
An event appended after step 2 is announced after it too, so it arrives live. Ephemeral events carry no id and are
never replayed. When the hub may have missed messages (reconnect, slow client) the stream re-reads the log.

Once subscribed, the stream opens in ONE Valkey round trip (after the auth middleware's own check): a pipeline of three
script calls (``salon.lib.valkey.run_scripts``), each owned by its module: the revocation check
(``auth.revoked_call``), the presence lease (``presence.lease_call``) and the log read of step 2
(``eventlog.read_after_call``). (They were three trips; with thousands of streams opening together they queued on the
bounded connection pool.) When the lease made the user connected, the user's audience is told, as before (a
PUBLISH when they have friends or mutual follows: a second trip then, which needs the lease's answer).

When the viewer's session or token is revoked, the hub (or the lease keeper's periodic check) ends the subscription:
the stream sends one ``session.ended`` event saying why and closes. A revocation that landed after the stream's
credential was checked but before it subscribed reached no subscription: so once subscribed, and before sending
anything, the stream reads the revocation keys itself (in the opening trip). A revocation after that read is
announced after the subscription existed, so the hub delivers it. The lease is taken in the same trip, before the
answer is known: a stream found revoked then withdraws it (``presence.stream_withdrawn``: gone at once, no grace
period, no offline check, nobody told) and its only frame is ``session.ended``.

A Valkey failure while opening ends the stream with the error, as before; the close is then recorded (best effort,
as when the lease's own trip failed before), since the lease may have been taken.

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
from collections.abc import AsyncGenerator

import anyio
import msgspec
from litestar.response import ServerSentEventMessage

from salon.lib import auth, shutdown
from salon.lib import valkey as valkey_client
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

    async def frames(self) -> AsyncGenerator[ServerSentEventMessage, None]:
        heartbeat = self.settings.events_heartbeat_seconds
        keeper = leases()
        opened = False
        try:
            with hub().subscribe(self.user_id, self.viewer) as subscription:
                # From here the lease may be taken (also when the trip below fails midway): the close is recorded.
                opened = True
                # One round trip (see the module docstring): the revocation check, the lease, the log read. The lease
                # is taken before the check's answer is known, so a stream revoked in that narrow race withdraws it:
                # one trip more for that rare stream instead of two more for every stream.
                checked, lease, read = await valkey_client.run_scripts(
                    [
                        auth.revoked_call(self.viewer),
                        presence.lease_call(self.user_id, self.stream_id, keeper.lease_ms),
                        eventlog.read_after_call(
                            self.user_id, self.resume_from, max_entries=self.settings.events_log_max_length
                        ),
                    ]
                )
                if isinstance(checked, Exception):
                    raise checked
                if (revoked := auth.revoked_from_reply(self.viewer, checked)) is not None:
                    # Revoked before the subscription could hear of it. The stream never opened: withdraw the lease
                    # (no grace period, no offline check) rather than record a close, then say why and end.
                    opened = False
                    await self._withdrawn(made_connected=not isinstance(lease, Exception) and bool(int(lease)))
                    yield _ended_frame(revoked)
                    return
                if isinstance(lease, Exception):
                    raise lease
                if int(lease):  # the user was not connected before this stream
                    await presence.announce_online(self.user_id)
                keeper.add(self.stream_id, self.user_id, subscription)
                if isinstance(read, Exception):
                    raise read
                snapshot = eventlog.snapshot_from_reply(read, self.resume_from, max_age_ms=self._max_age_ms)
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
                    item = await subscription.next(timeout=wait)
                    if item is None:  # nothing for ``wait`` seconds
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

    @property
    def _max_age_ms(self) -> int:
        return self.settings.events_log_max_age_seconds * 1000

    async def _read(self, after: StreamId | None) -> Snapshot:
        return await eventlog.read_after(
            self.user_id, after, max_age_ms=self._max_age_ms, max_entries=self.settings.events_log_max_length
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

    async def _withdrawn(self, *, made_connected: bool) -> None:
        """Withdraw the lease of a stream that never opened (``presence.stream_withdrawn``), whatever happens to the
        request meanwhile; on failure the lease simply runs out."""
        with anyio.CancelScope(shield=True):
            try:
                async with asyncio.timeout(CLOSE_BOOKKEEPING_SECONDS):
                    await presence.stream_withdrawn(self.user_id, self.stream_id, made_connected=made_connected)
            except Exception:  # Valkey unreachable: the lease runs out by itself
                log.warning("could not withdraw the lease of stream %s", self.stream_id, exc_info=True)

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
