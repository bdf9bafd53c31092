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
    """Domain events handed to the job queue (after commit), as ``(name, payload dict)``."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def named(self, name: str) -> list[dict[str, Any]]:
        return [payload for event, payload in self.events if event == name]


@pytest.fixture
def emitted(app: Any, monkeypatch: pytest.MonkeyPatch) -> EmittedEvents:
    """Spy on the real SAQ queue: records every domain event enqueued, and still enqueues it."""
    from salon.lib import jobs

    queue = jobs.queue()
    original = queue.enqueue
    spy = EmittedEvents()

    async def recording_enqueue(job_name: str, **kwargs: Any) -> Any:
        if job_name == "dispatch_domain_event":
            spy.events.append((kwargs["name"], msgspec.json.decode(kwargs["payload"])))
        return await original(job_name, **kwargs)

    monkeypatch.setattr(queue, "enqueue", recording_enqueue)
    return spy
