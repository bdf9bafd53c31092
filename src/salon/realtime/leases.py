"""The presence leases of the event streams open in this process, renewed together by one task.

An open stream counts as connected while its lease in ``presence:streams:{user}`` runs (see ``presence``). Each
stream used to renew its own lease at its heartbeat. Streams opened together, as after a deploy or a network blip,
then renewed together too: 5,000 streams made 5,000 Valkey calls in the same instant every heartbeat interval, and
held up every request of the process. One task per process now renews every local lease each
``events_heartbeat_seconds``, in pipelined batches.

A closing stream is forgotten under the same lock the renewal holds, before the stream records its close: a renewal
can therefore never overwrite a close with a fresh lease (which would hide the user's going offline).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging

from salon.realtime import presence

log = logging.getLogger("salon.realtime.leases")

BATCH = 500  # leases per pipelined round trip


def lease_ms(heartbeat_seconds: float) -> int:
    """How long a lease lasts: two missed renewals and a stream stops counting as connected."""
    return int(heartbeat_seconds * 2000) + 5000


class LeaseKeeper:
    def __init__(self, heartbeat_seconds: float) -> None:
        self.interval = heartbeat_seconds
        self.lease_ms = lease_ms(heartbeat_seconds)
        self._streams: dict[str, str] = {}  # stream id -> user id
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._streams)

    def add(self, stream_id: str, user_id: str) -> None:
        """Renew this stream's lease from now on (it was just taken with ``presence.stream_opened``)."""
        self._streams[stream_id] = user_id

    async def forget(self, stream_id: str) -> None:
        """Stop renewing this stream's lease. Call it before recording the close (see the module docstring)."""
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
