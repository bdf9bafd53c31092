"""The process's Valkey clients, created in the app (or worker) lifespan on the loop that uses them.

``client()`` is for commands that answer at once. Its pool is bounded (``SALON_VALKEY_MAX_CONNECTIONS``): a burst of
work, such as thousands of event streams opening together, waits (up to ``POOL_WAIT_SECONDS``) for a free connection
instead of opening a connection per waiting command (unbounded, a 5,000-stream burst held ~5,000 connections and
stalled the process for seconds while it opened them). ``blocking_client()`` is for commands that wait on the server
(``XREAD BLOCK``): they hold a connection for seconds, so they get a pool of their own and never starve the first.
"""

from __future__ import annotations

from typing import Any

from valkey.asyncio import BlockingConnectionPool, Valkey

POOL_WAIT_SECONDS = 15  # then the request fails with 503 (salon.lib.errors.store_unavailable_handler)
_OPTIONS: dict[str, Any] = {"decode_responses": True, "socket_connect_timeout": 2, "socket_timeout": 5}
_client: Valkey | None = None
_blocking: Valkey | None = None


def normalise_url(url: str) -> str:
    """valkey:// is what operators write; redis-py (used by SAQ) only knows redis://."""
    if url.startswith("valkey://"):
        return "redis://" + url.removeprefix("valkey://")
    if url.startswith("valkeys://"):
        return "rediss://" + url.removeprefix("valkeys://")
    return url


async def connect(url: str, *, max_connections: int) -> Valkey:
    global _client, _blocking
    pool = BlockingConnectionPool.from_url(
        normalise_url(url), max_connections=max_connections, timeout=POOL_WAIT_SECONDS, health_check_interval=30,
        **_OPTIONS,
    )  # fmt: skip
    _client = Valkey.from_pool(pool)
    _blocking = Valkey.from_url(normalise_url(url), **_OPTIONS)
    return _client


async def close() -> None:
    global _client, _blocking
    for opened in (_client, _blocking):
        if opened is not None:
            await opened.aclose()
    _client = _blocking = None


def is_connected() -> bool:
    return _client is not None


def client() -> Any:
    """The connected ``valkey.asyncio.Valkey`` client. Typed ``Any`` on purpose: valkey-py annotates every command as
    ``Awaitable[T] | T`` (one stub for the sync and async clients), which would make each ``await`` a type error."""
    if _client is None:
        raise RuntimeError("Valkey is not connected: this code must run inside the app or worker lifespan")
    return _client


def blocking_client() -> Any:
    """The client for commands that block on the server (``XREAD BLOCK``), on a pool of its own."""
    if _blocking is None:
        raise RuntimeError("Valkey is not connected: this code must run inside the app or worker lifespan")
    return _blocking
