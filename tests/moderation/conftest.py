"""Moderation tests: the real google-genai SDK screening against the loopback Gemini stand-in, over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest

from salon.ai.provider import GeminiProvider, use_provider
from salon.ai.standin import Answer, GeminiStandIn
from salon.lib import valkey as valkey_client
from salon.lib.events import user_log_key
from salon.moderation.jobs import screen_post
from tests.helpers import DEFAULT_PASSWORD, TestUser, create_user

UNSAFE = '{"is_safe": false, "category": "harassment", "confidence": 0.95, "reason": "Insults a person."}'
SAFE = '{"is_safe": true, "category": "other", "confidence": 0.99, "reason": "Friendly."}'


@pytest.fixture
async def standin(app: Any, settings: Any) -> AsyncIterator[GeminiStandIn]:
    """The app's provider pointed at a loopback stand-in (answers ``SAFE`` unless a test scripts otherwise)."""
    server = GeminiStandIn(reply=lambda body: SAFE)
    url = await server.start()
    provider = GeminiProvider(
        msgspec.structs.replace(
            settings, gemini_api_key="test-key", gemini_base_url=url, ai_provider_retry_delay_seconds=0.01
        )
    )
    previous = await use_provider(provider)
    yield server
    await use_provider(previous)
    await provider.close()
    await server.stop()


async def make_moderator(client: httpx.AsyncClient, username: str = "mod") -> TestUser:
    """A user given the moderator role, signed in again so the access token carries it."""
    user = await create_user(client, username)
    await client.post("/api/v1/auth/logout", headers=user.headers)
    from salon.accounts.tables import User

    await User.update({User.role: "moderator"}).where(User.id == user.id)
    signed_in = await client.post("/api/v1/auth/login", json={"login": username, "password": DEFAULT_PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["access_token"]
    return TestUser(user.id, username, {"Authorization": f"Bearer {token}"}, token)


async def post(client: httpx.AsyncClient, user: TestUser, content: str, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/posts", json={"content": content, **body}, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def screened_post(client: httpx.AsyncClient, user: TestUser, content: str, **body: Any) -> dict[str, Any]:
    """Post, then run the screening job for it (as the worker does after ``post.created``)."""
    created = await post(client, user, content, **body)
    await screen_post({}, post_id=created["id"])
    return created


async def events_of(user: TestUser, name: str) -> list[dict[str, Any]]:
    log = await valkey_client.client().xrange(user_log_key(user.id))
    return [msgspec.json.decode(fields["data"]) for _, fields in log if fields["event"] == name]


__all__ = ["SAFE", "UNSAFE", "Answer"]
