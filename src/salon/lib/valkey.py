"""The process's Valkey client, created in the app (or worker) lifespan on the loop that uses it."""

from __future__ import annotations

from typing import Any

from valkey.asyncio import Valkey

_client: Valkey | None = None


def normalise_url(url: str) -> str:
    """valkey:// is what operators write; redis-py (used by SAQ) only knows redis://."""
    if url.startswith("valkey://"):
        return "redis://" + url.removeprefix("valkey://")
    if url.startswith("valkeys://"):
        return "rediss://" + url.removeprefix("valkeys://")
    return url


async def connect(url: str) -> Valkey:
    global _client
    _client = Valkey.from_url(
        normalise_url(url), decode_responses=True, health_check_interval=30, socket_connect_timeout=2, socket_timeout=5
    )
    return _client


async def close() -> None:
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None


def is_connected() -> bool:
    return _client is not None


def client() -> Any:
    """The connected ``valkey.asyncio.Valkey`` client. Typed ``Any`` on purpose: valkey-py annotates every command as
    ``Awaitable[T] | T`` (one stub for the sync and async clients), which would make each ``await`` a type error."""
    if _client is None:
        raise RuntimeError("Valkey is not connected: this code must run inside the app or worker lifespan")
    return _client
