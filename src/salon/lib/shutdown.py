"""The app-level shutdown signal that long-lived responses (SSE streams) watch.

An event stream never ends on its own, and Granian only runs the ASGI lifespan shutdown after every open response has
finished: on SIGTERM it stops accepting, waits for open responses until ``--workers-kill-timeout``, then kills the
worker. So the signal cannot come from the lifespan alone. ``lifespan`` chains a Python-level handler for SIGTERM and
SIGINT in front of the existing one: the server's own handling is untouched (asyncio and uvloop dispatch their
handlers through the wakeup fd, not through this Python-level handler), and in other processes the previous handler
still runs after ours. Long-lived responses end when ``wait()`` returns or when their feed closes them (the event hub
ends every open stream on ``begin()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

_signal = asyncio.Event()
_listeners: list[Callable[[], None]] = []
SIGNALS = (signal.SIGTERM, signal.SIGINT)


def requested() -> bool:
    return _signal.is_set()


async def wait() -> None:
    await _signal.wait()


def on_begin(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener()`` (on the event loop, quick, synchronous) when shutdown begins. Returns an unsubscribe."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def begin() -> None:
    """Start shutting down: wake everything waiting on the signal. Idempotent."""
    if _signal.is_set():
        return
    _signal.set()
    for listener in list(_listeners):
        listener()


def _chain_signal_handlers(loop: asyncio.AbstractEventLoop) -> dict[int, Any]:
    """Install our handler in front of the current Python-level ones; return those to restore later."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(begin)
        before = previous.get(signum)
        if callable(before):
            before(signum, frame)
        elif before == signal.SIG_DFL:  # keep the default meaning (terminate) for processes that relied on it
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    for signum in SIGNALS:
        previous[signum] = signal.getsignal(signum)
        signal.signal(signum, handler)
    return previous


@asynccontextmanager
async def lifespan(_: Any) -> AsyncIterator[None]:
    """App lifespan: a fresh signal on startup, set on SIGTERM/SIGINT, or at the latest when the lifespan ends."""
    global _signal
    _signal = asyncio.Event()
    _listeners.clear()
    previous = _chain_signal_handlers(asyncio.get_running_loop())
    try:
        yield
    finally:
        begin()
        for signum, handler in previous.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signum, handler)
