"""Fixtures shared by the social and posts tests: many users at once, and a spy on domain events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import msgspec
import pytest

from tests.helpers import TestUser, create_user


@pytest.fixture
def make_users(app: Any) -> Callable[..., Awaitable[list[TestUser]]]:
    """``await make_users("a", "b", ...)``: register users, each from its own client address (registration is
    rate-limited per address)."""

    async def make(*names: str) -> list[TestUser]:
        users = []
        for index, name in enumerate(names):
            transport = httpx.ASGITransport(app=app, client=(f"198.51.{index // 250}.{index % 250 + 1}", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                users.append(await create_user(http, name))
        return users

    return make


class EmittedEvents:
    """Domain events emitted, as ``(name, payload dict)``, recorded when their unit of work commits."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def named(self, name: str) -> list[dict[str, Any]]:
        return [payload for event, payload in self.events if event == name]


@pytest.fixture
def emitted(app: Any, monkeypatch: pytest.MonkeyPatch) -> EmittedEvents:
    """Spy on ``events.emit``: records every domain event once its unit of work commits (when its jobs are queued),
    and still emits it. Recorded at ``emit``, not at the queues: an event goes to one queue per queue with subscribers
    of it (tests/lib/test_event_queues.py), and to none when nothing subscribes to it yet."""
    from salon.lib import db, events

    original = events.emit
    spy = EmittedEvents()

    async def recording_emit(name: str, data: msgspec.Struct) -> None:
        payload = msgspec.json.decode(msgspec.json.encode(data))

        async def record() -> None:
            spy.events.append((name, payload))

        await db.after_commit(record)
        await original(name, data)

    monkeypatch.setattr(events, "emit", recording_emit)
    return spy
