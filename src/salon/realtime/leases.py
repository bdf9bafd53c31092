"""The presence leases of the event streams open in this process, renewed together by one task.

An open stream counts as connected while its lease in ``presence:streams:{user}`` runs (see ``presence``). Each
stream used to renew its own lease at its heartbeat. Streams opened together, as after a deploy or a network blip,
then renewed together too: 5,000 streams made 5,000 Valkey calls in the same instant every heartbeat interval, and
held up every request of the process. One task per process now renews every local lease each
``events_heartbeat_seconds``, in pipelined batches.

A closing stream is forgotten under the same lock the renewal holds, before the stream records its close: a renewal
can therefore never overwrite a close with a fresh lease (which would hide the user's going offline).

The same loop is the safety net of stream revocation. A revocation normally ends its streams at once through a
message on the user's channel (``salon.realtime.hub``), but a message can be missed (the hub's Valkey connection
dropped, the process was paused). So each interval the keeper also reads the revocation keys of every local stream
(``salon.lib.auth.revocation_keys``), one MGET per batch of streams, and ends the revoked ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from typing import Protocol

from salon.lib import auth
from salon.lib import valkey as valkey_client
from salon.lib.auth import RevocationReason, Viewer
from salon.realtime import presence

log = logging.getLogger("salon.realtime.leases")

BATCH = 500  # leases per pipelined round trip, and streams per revocation MGET


class Revocable(Protocol):
    """An open stream as the revocation check sees it (``salon.realtime.hub.Subscription``)."""

    @property
    def viewer(self) -> Viewer | None: ...

    @property
    def ended(self) -> object | None: ...  # set once it was ended

    def end(self, reason: RevocationReason) -> None: ...


def lease_ms(heartbeat_seconds: float) -> int:
    """How long a lease lasts: two missed renewals and a stream stops counting as connected."""
    return int(heartbeat_seconds * 2000) + 5000


class LeaseKeeper:
    def __init__(self, heartbeat_seconds: float) -> None:
        self.interval = heartbeat_seconds
        self.lease_ms = lease_ms(heartbeat_seconds)
        self._streams: dict[str, str] = {}  # stream id -> user id
        self._revocable: dict[str, Revocable] = {}  # stream id -> what to end when its access is revoked
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._streams)

    def add(self, stream_id: str, user_id: str, revocable: Revocable | None = None) -> None:
        """Renew this stream's lease from now on (it was just taken with ``presence.lease_call``), and end
        ``revocable`` once its viewer's access is found revoked."""
        self._streams[stream_id] = user_id
        if revocable is not None:
            self._revocable[stream_id] = revocable

    async def forget(self, stream_id: str) -> None:
        """Stop renewing this stream's lease. Call it before recording the close (see the module docstring)."""
        self._revocable.pop(stream_id, None)
        async with self._lock:
            self._streams.pop(stream_id, None)

    async def renew_all(self) -> None:
        reconnected: set[str] = set()
        async with self._lock:
            pairs = iter(list(self._streams.items()))
            while batch := list(itertools.islice(pairs, BATCH)):
                reconnected |= await presence.renew_leases(batch, self.lease_ms)
        for user_id in reconnected:
            await presence.announce_online(user_id)

    async def check_revocations(self) -> int:
        """End the local streams whose session or token was revoked (a missed revocation message); one MGET per
        ``BATCH`` streams. Returns how many were ended."""
        streams = [
            (item, item.viewer)
            for item in list(self._revocable.values())
            if item.viewer is not None and item.ended is None
        ]
        ended = 0
        client = valkey_client.client()
        for start in range(0, len(streams), BATCH):
            batch = [(item, viewer, auth.revocation_keys(viewer)) for item, viewer in streams[start : start + BATCH]]
            keys = list(dict.fromkeys(key for _, _, stream_keys in batch for key in stream_keys))  # users share one
            values = dict(zip(keys, await client.mget(keys), strict=True))
            for item, viewer, stream_keys in batch:
                reason = auth.revocation_reason(viewer, *(values[key] for key in stream_keys))
                if reason is not None:
                    item.end(reason)
                    ended += 1
        return ended

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="salon-presence-leases")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.renew_all()
            except Exception:  # Valkey unreachable: leases run out as for a crashed process, and come back next time
                log.warning("could not renew the presence leases of %d streams", len(self._streams), exc_info=True)
            try:
                if ended := await self.check_revocations():
                    log.info("ended %d event streams whose access was revoked", ended)
            except Exception:  # Valkey unreachable: checked again next interval
                log.warning("could not check %d event streams for revocation", len(self._revocable), exc_info=True)
