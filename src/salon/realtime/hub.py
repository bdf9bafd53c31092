"""One Valkey subscriber per process, fanning live events out to the event streams open in this process.

Every process pattern-subscribes once to ``events:live:*`` (not one pub/sub connection per SSE client) and hands each
message to the local subscriptions of its user. Messages on one user's channel arrive in log order (``publish``
appends and announces atomically), so a stream only has to drop what it already sent.

When the subscriber connection drops, messages published meanwhile are lost to it; after reconnecting, every local
subscription is told to ``RESYNC`` (re-read its user's log from the last event it sent), so a stream never has a gap.
A subscription whose client reads too slowly is resynced the same way instead of buffering without bound.

Revocations travel on the same channels: ``salon.lib.auth`` publishes a ``REVOCATION_MESSAGE`` on the user's channel
when sessions end or tokens are refused. The hub never forwards it; it ends each local subscription whose viewer it
matches (``Ended``), dropping whatever was still queued for it. The lease keeper re-checks the revocation keys every
heartbeat interval for the messages this misses (``LeaseKeeper.check_revocations``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Final

import msgspec
from valkey.asyncio import Valkey
from valkey.exceptions import ConnectionError as ValkeyConnectionError
from valkey.exceptions import TimeoutError as ValkeyTimeoutError

from salon.lib import auth, events, shutdown
from salon.lib.auth import RevocationReason, Viewer
from salon.lib.errors import ServiceUnavailable
from salon.lib.mailbox import Mailbox
from salon.lib.valkey import normalise_url
from salon.realtime.leases import LeaseKeeper

log = logging.getLogger("salon.realtime.hub")

RESYNC: Final = "resync"  # re-read the log: live messages may have been lost
CLOSED: Final = "closed"  # the server is shutting down: end the stream
CHANNEL_PREFIX = events.user_channel("")


class LiveEvent:
    """One message from a user's channel. ``entry_id`` is ``""`` for ephemeral events (not in the log)."""

    __slots__ = ("entry_id", "name", "payload")

    def __init__(self, entry_id: str, name: str, payload: str) -> None:
        self.entry_id = entry_id
        self.name = name
        self.payload = payload

    @classmethod
    def parse(cls, message: str) -> LiveEvent:
        entry_id, name, payload = message.split("\n", 2)
        return cls(entry_id, name, payload)


class Ended:
    """The stream's access was revoked (``reason``: ``auth.SESSION_ENDED`` or ``auth.TOKENS_REVOKED``): say why and
    end it."""

    __slots__ = ("reason",)

    def __init__(self, reason: RevocationReason) -> None:
        self.reason = reason


Item = LiveEvent | Ended | str


class Subscription:
    """The live feed of one open stream: live events, ``Ended``, or the ``RESYNC`` / ``CLOSED`` signals.

    ``viewer`` is who opened the stream (matched against revocations); None for a subscription no session owns."""

    def __init__(self, user_id: str, max_pending: int, viewer: Viewer | None = None) -> None:
        self.user_id = user_id
        self.viewer = viewer
        self.ended: Ended | None = None
        # A client that reads too slowly has its backlog dropped and re-reads the log (RESYNC)
        self._mailbox: Mailbox[Item] = Mailbox(max_pending, RESYNC)

    def deliver(self, item: LiveEvent | str) -> None:
        if self.ended is None:  # once revoked, nothing more goes out
            self._mailbox.put(item)

    def close(self) -> None:
        if self.ended is None:
            self._mailbox.replace(CLOSED)

    def end(self, reason: RevocationReason) -> None:
        """Access was revoked: drop what is still queued (it must not reach the client) and end with ``reason``."""
        if self.ended is None:
            self.ended = Ended(reason)
            self._mailbox.replace(self.ended)

    async def next(self, timeout: float | None = None) -> Item | None:  # noqa: ASYNC109 - salon.lib.mailbox
        """The next item; None once ``timeout`` seconds pass without one (a timer ends the wait: nothing raised)."""
        return await self._mailbox.get(timeout)


class EventHub:
    def __init__(self, valkey_url: str, *, max_pending: int = 1000, reconnect_delay: float = 0.5) -> None:
        self._url = normalise_url(valkey_url)
        self._max_pending = max_pending
        self._reconnect_delay = reconnect_delay
        self._subscriptions: dict[str, set[Subscription]] = {}
        self._ready = asyncio.Event()
        self._closed = False
        self._drained = asyncio.Event()  # set when the last stream ends after close()
        self._task: asyncio.Task[None] | None = None

    @property
    def open_streams(self) -> int:
        return sum(len(subs) for subs in self._subscriptions.values())

    def streams_of(self, user_id: str) -> int:
        return len(self._subscriptions.get(user_id, ()))

    async def start(self, wait_seconds: float = 2.0) -> None:
        """Start listening; wait up to ``wait_seconds`` for the subscription. Without Valkey the app still starts
        (/ready reports it) and streams answer 503 until the hub has subscribed."""
        self._task = asyncio.create_task(self._run(), name="salon-event-hub")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), wait_seconds)

    def end_streams(self) -> None:
        """Shutdown has begun: end every local stream now and refuse new ones."""
        self._closed = True
        for subs in self._subscriptions.values():
            for sub in subs:
                sub.close()

    async def close(self, drain_seconds: float = 2.0) -> None:
        """End every local stream, give them ``drain_seconds`` to finish, then stop listening."""
        self.end_streams()
        if self._subscriptions:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), drain_seconds)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def check_available(self) -> None:
        """Raise 503 when this process cannot deliver live events (shutting down, or Valkey unreachable)."""
        if self._closed:
            raise ServiceUnavailable(
                "The server is shutting down. Reconnect in a moment.", headers={"Retry-After": "1"}
            )
        if not self._ready.is_set():
            raise ServiceUnavailable(
                "Live delivery is unavailable right now (Valkey is unreachable). Retry in a few seconds.",
                headers={"Retry-After": "2"},
            )

    @contextlib.contextmanager
    def subscribe(self, user_id: str, viewer: Viewer | None = None) -> Iterator[Subscription]:
        """Receive the live events of ``user_id`` while the block runs. Subscribe BEFORE reading the log. With a
        ``viewer``, the subscription is ended (``Ended``) when that viewer's session or token is revoked."""
        self.check_available()
        sub = Subscription(user_id, self._max_pending, viewer)
        self._subscriptions.setdefault(user_id, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._subscriptions.get(user_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscriptions[user_id]
            if self._closed and not self._subscriptions:
                self._drained.set()

    def _dispatch(self, channel: str, message: str) -> None:
        subs = self._subscriptions.get(channel.removeprefix(CHANNEL_PREFIX))
        if not subs:
            return
        try:
            event = LiveEvent.parse(message)
        except ValueError:
            log.warning("malformed live message on %s", channel)
            return
        if event.name == auth.REVOCATION_MESSAGE:
            self._revoke(subs, event.payload)
            return
        for sub in subs:
            sub.deliver(event)

    @staticmethod
    def _revoke(subs: set[Subscription], payload: str) -> None:
        try:
            revocation = msgspec.json.decode(payload, type=auth.Revocation)
        except msgspec.DecodeError:
            log.warning("malformed revocation message")
            return
        for sub in list(subs):
            reason = revocation.reason_for(sub.viewer) if sub.viewer is not None else None
            if reason is not None:
                sub.end(reason)

    def _resync_all(self) -> None:
        for subs in self._subscriptions.values():
            for sub in subs:
                sub.deliver(RESYNC)

    async def _run(self) -> None:
        first = True
        while not self._closed:
            try:
                async for channel, message in self._listen():
                    if channel:
                        self._dispatch(channel, message)
                        continue
                    self._ready.set()  # subscribed (again): what was missed meanwhile is in the logs
                    if not first:
                        self._resync_all()
                    first = False
            except (ValkeyConnectionError, ValkeyTimeoutError, OSError) as exc:
                log.warning("event hub lost Valkey (%s); reconnecting", exc)
            self._ready.clear()
            await asyncio.sleep(self._reconnect_delay)

    async def _listen(self) -> AsyncIterator[tuple[str, str]]:
        """Yield ``("", "")`` once the pattern subscription is confirmed, then ``(channel, message)`` pairs."""
        client = Valkey.from_url(self._url, decode_responses=True, socket_connect_timeout=2, health_check_interval=10)
        pubsub = client.pubsub()
        try:
            await pubsub.psubscribe(events.LIVE_CHANNEL_PATTERN)
            while True:
                message = await pubsub.get_message(timeout=5.0)
                if message is None:
                    continue
                if message["type"] == "psubscribe":
                    yield "", ""
                elif message["type"] == "pmessage":
                    yield message["channel"], message["data"]
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            with contextlib.suppress(Exception):
                await client.aclose()


_hub: EventHub | None = None
_leases: LeaseKeeper | None = None


def hub() -> EventHub:
    if _hub is None:
        raise RuntimeError("the event hub is not running: this code must run inside the app lifespan")
    return _hub


def leases() -> LeaseKeeper:
    if _leases is None:
        raise RuntimeError("the presence lease keeper is not running: this code must run inside the app lifespan")
    return _leases


@contextlib.asynccontextmanager
async def lifespan(app: object) -> AsyncIterator[None]:
    """App lifespan (entered after ``salon.lib.shutdown.lifespan``): run this process's hub and presence lease
    keeper; on shutdown end every open stream, then stop both."""
    global _hub, _leases
    from salon.settings import get_settings

    settings = getattr(app, "state", {}).get("settings") or get_settings()
    _hub = EventHub(settings.valkey_url or "")
    _leases = LeaseKeeper(settings.events_heartbeat_seconds)
    shutdown.on_begin(_hub.end_streams)  # SIGTERM: Granian waits for open streams before it runs this lifespan's exit
    await _hub.start()
    _leases.start()
    try:
        yield
    finally:
        await _hub.close()
        await _leases.stop()
        _hub = _leases = None
