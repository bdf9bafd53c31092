"""Chat test helpers: start chats and send messages over HTTP, and read a user's event log from Valkey."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from valkey.asyncio import Valkey

from tests.helpers import TestUser

CHATS = "/api/v1/chats"


async def direct_chat(client: httpx.AsyncClient, owner: TestUser, other: TestUser) -> dict[str, Any]:
    response = await client.post(CHATS, headers=owner.headers, json={"type": "direct", "usernames": [other.username]})
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


async def group_chat(
    client: httpx.AsyncClient, owner: TestUser, *others: TestUser, name: str = "Crew"
) -> dict[str, Any]:
    body = {"type": "group", "name": name, "usernames": [other.username for other in others]}
    response = await client.post(CHATS, headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def send(
    client: httpx.AsyncClient, user: TestUser, chat_id: str, content: str = "hello", **headers: str
) -> httpx.Response:
    return await client.post(
        f"{CHATS}/{chat_id}/messages",
        headers={**user.headers, **headers},
        json={"content": content},
    )


async def sent(client: httpx.AsyncClient, user: TestUser, chat_id: str, content: str = "hello") -> dict[str, Any]:
    response = await send(client, user, chat_id, content, **{"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


class EventLog:
    """A user's client-facing events, as kept in their Valkey stream ``events:log:{user_id}``."""

    def __init__(self, valkey: Valkey) -> None:
        self.valkey = valkey

    async def entries(self, user: TestUser) -> list[tuple[str, dict[str, Any]]]:
        """``(event name, payload)`` of every event kept for ``user``, oldest first."""
        entries = await self.valkey.xrange(f"events:log:{user.id}")
        return [(fields[b"event"].decode(), json.loads(fields[b"data"])) for _, fields in entries]

    async def of(self, user: TestUser, name: str) -> list[dict[str, Any]]:
        """The payloads of the ``name`` events kept for ``user``, oldest first."""
        return [payload for event, payload in await self.entries(user) if event == name]


@pytest.fixture
async def event_log() -> AsyncIterator[EventLog]:
    valkey = Valkey.from_url(os.environ["VALKEY_URL"])
    try:
        yield EventLog(valkey)
    finally:
        await valkey.aclose()
