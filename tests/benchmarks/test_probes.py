"""The AI chunk probe waits for the load by reading salon's own in-flight gauge: checked against the real app."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from benchmarks.probes import replies_in_flight

from salon.ai import generation
from salon.ai.provider import GeminiProvider, use_provider
from salon.ai.standin import GeminiStandIn
from tests.conftest import wait_for
from tests.helpers import create_user


async def test_replies_in_flight_counts_the_ai_replies_streaming_now(client, settings: Any) -> None:
    server = GeminiStandIn(chunks=20, delay=0.05)  # a reply of about a second
    url = await server.start()
    provider = GeminiProvider(msgspec.structs.replace(settings, gemini_api_key="test-key", gemini_base_url=url))
    previous = await use_provider(provider)
    try:
        user = await create_user(client)
        assert await replies_in_flight(client, "/metrics") == 0
        created = await client.post("/api/v1/ai/conversations", json={}, headers=user.headers)
        path = f"/api/v1/ai/conversations/{created.json()['id']}/messages"
        reply = asyncio.create_task(client.post(path, json={"content": "tell me a story"}, headers=user.headers))
        await wait_for(lambda: replies_in_flight(client, "/metrics"), timeout=5)
        assert await replies_in_flight(client, "/metrics") == 1
        assert (await reply).status_code == 200
        assert await replies_in_flight(client, "/metrics") == 0
    finally:
        await generation.shutdown()
        await use_provider(previous)
        await provider.close()
        await server.stop()
