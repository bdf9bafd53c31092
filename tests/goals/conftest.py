"""Helpers for goal tests: friends, goals, check-ins at a chosen moment, and each user's event log."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from valkey.asyncio import Valkey

from salon.goals import days
from tests.ai.conftest import standin  # noqa: F401 - the loopback Gemini stand-in fixture, shared with the AI tests
from tests.helpers import TestUser


async def befriend(client: httpx.AsyncClient, a: TestUser, b: TestUser) -> None:
    response = await client.post("/api/v1/friends/requests", json={"username": b.username}, headers=a.headers)
    assert response.status_code in (200, 201), response.text
    accepted = await client.post(f"/api/v1/friends/requests/{response.json()['id']}/accept", headers=b.headers)
    assert accepted.status_code == 200, accepted.text


async def new_goal(client: httpx.AsyncClient, user: TestUser, **body: Any) -> dict[str, Any]:
    fields = {"title": "Run 100 km", "target_type": "amount", "target_value": 100, "unit": "km", **body}
    response = await client.post("/api/v1/goals", json=fields, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def invite_and_join(client: httpx.AsyncClient, goal: dict[str, Any], owner: TestUser, *members: TestUser) -> None:
    usernames = [member.username for member in members]
    response = await client.post(
        f"/api/v1/goals/{goal['id']}/invite", json={"usernames": usernames}, headers=owner.headers
    )
    assert response.status_code == 200, response.text
    for member in members:
        joined = await client.post(f"/api/v1/goals/{goal['id']}/join", headers=member.headers)
        assert joined.status_code == 200, joined.text


async def check_in(client: httpx.AsyncClient, user: TestUser, goal_id: str, **body: Any) -> dict[str, Any]:
    response = await client.post(f"/api/v1/goals/{goal_id}/checkins", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def set_timezone(client: httpx.AsyncClient, user: TestUser, timezone: str) -> None:
    response = await client.patch("/api/v1/users/me", json={"timezone": timezone}, headers=user.headers)
    assert response.status_code == 200, response.text


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the goals clock (check-in times, local days, the nudge scan) to a fixed moment."""

    def set_now(moment: datetime) -> None:
        monkeypatch.setattr(days, "now", lambda: moment)

    return set_now


class EventLog:
    """A user's client-facing events, as kept in their Valkey stream (what their SSE stream replays)."""

    def __init__(self, valkey: Valkey) -> None:
        self.valkey = valkey

    async def of(self, user: TestUser, name: str) -> list[dict[str, Any]]:
        entries = await self.valkey.xrange(f"events:log:{user.id}")
        return [json.loads(fields[b"data"]) for _, fields in entries if fields[b"event"].decode() == name]


@pytest.fixture
async def event_log() -> AsyncIterator[EventLog]:
    valkey = Valkey.from_url(os.environ["VALKEY_URL"])
    try:
        yield EventLog(valkey)
    finally:
        await valkey.aclose()
