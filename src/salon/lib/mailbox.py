"""A bounded queue for one reader of a live stream (an event stream's subscription, a local AI reply reader).

Producers ``put`` without waiting, from any callback of the loop. A reader that falls behind does not make the queue
grow without bound: past ``limit`` the backlog is dropped and ``overflow`` is queued in its place, a signal that tells
the reader to re-read from the source (the event log, the reply's Valkey stream).

``get(timeout)`` waits on a future that a timer wakes: waiting out the timeout raises nothing and starts no task.
With thousands of streams open, their waits end hundreds of times a second; as ``asyncio.wait_for`` (a task per
wait) or ``asyncio.timeout`` (a cancellation raised into the stream's task, then a ``TimeoutError``) each one left
tracebacks and frames for the collector, in a process whose young collections already walked 100,000 objects and
more (measured in the events benchmark).
"""

from __future__ import annotations

import asyncio
import collections
from typing import Generic, TypeVar

T = TypeVar("T")


class Mailbox(Generic[T]):
    def __init__(self, limit: int, overflow: T) -> None:
        self._limit = limit
        self._overflow = overflow
        self._pending: collections.deque[T] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None

    def put(self, item: T) -> None:
        """Queue ``item``; if ``limit`` items are waiting, drop them and queue ``overflow`` instead."""
        if len(self._pending) >= self._limit:
            self._pending.clear()
            item = self._overflow
        self._append(item)

    def replace(self, item: T) -> None:
        """Drop what is queued and queue ``item`` (a final signal: nothing before it may still reach the client)."""
        self._pending.clear()
        self._append(item)

    async def get(self, timeout: float | None = None) -> T | None:  # noqa: ASYNC109 - see the module doc
        """The next item; None once ``timeout`` seconds pass without one."""
        if not self._pending:
            if timeout is not None and timeout <= 0:
                return None
            loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            timer = loop.call_later(timeout, _wake, waiter) if timeout is not None else None
            try:
                await waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
            if not self._pending:
                return None
        return self._pending.popleft()

    def _append(self, item: T) -> None:
        self._pending.append(item)
        if self._waiter is not None:
            _wake(self._waiter)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
