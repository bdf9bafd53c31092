"""The probes, checked against the real app and stores: the AI chunk probe waits for the load by reading salon's own
in-flight gauge; the fan-out probe's poll tells a complete fan-out from one in progress."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from benchmarks.probes import _MISSING, CHECK_SLICE, _still_missing, replies_in_flight

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


async def test_the_fanout_poll_stops_at_the_first_slice_still_missing_the_post(client) -> None:
    from salon.lib import valkey

    store = valkey.client()
    keys = [f"test:timeline:{index}" for index in range(2 * CHECK_SLICE + 100)]
    missing = store.register_script(_MISSING)
    member = "post"

    async def deliver(to: list[str]) -> None:
        for key in to:
            await store.zadd(key, {member: 1})

    await deliver(keys[-1:])
    assert await _still_missing(missing, keys, member) == keys  # the first slice misses it: the rest is not checked
    await deliver(keys[: CHECK_SLICE + 50])
    left = await _still_missing(missing, keys, member)
    assert left == keys[CHECK_SLICE + 50 :]  # the second slice's missing ones, then the unchecked rest
    await deliver(left[:-2])
    left = await _still_missing(missing, left, member)
    assert left == keys[-2:-1]  # every slice checked: one timeline is still missing the post
    await deliver(left)
    assert await _still_missing(missing, left, member) == []
    assert await _still_missing(missing, keys, member) == []
    await store.delete(*keys)
