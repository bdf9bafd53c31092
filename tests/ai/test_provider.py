"""The provider spreads concurrent replies over its SDK clients: httpcore's pool does work per request that grows with
its connections, so one pool under thousands of streams spent a large share of the process's CPU on bookkeeping."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import msgspec

from salon.ai.provider import HTTP_CLIENT_SHARDS, GeminiProvider, Turn
from salon.ai.standin import GeminiStandIn


async def test_concurrent_replies_are_spread_over_the_clients_and_all_of_them_close(settings: Any) -> None:
    server = GeminiStandIn(chunks=3, delay=0.05)
    url = await server.start()
    provider = GeminiProvider(msgspec.structs.replace(settings, gemini_api_key="test-key", gemini_base_url=url))
    replies = 2 * HTTP_CLIENT_SHARDS
    requests_per_client = [0] * len(provider.http_clients)
    for index, http in enumerate(provider.http_clients):

        async def count(_: httpx.Request, index: int = index) -> None:
            requests_per_client[index] += 1

        http.event_hooks["request"].append(count)

    async def reply() -> str:
        return "".join([delta async for delta in provider.reply([Turn(role="user", text="hello there")])])

    try:
        texts = await asyncio.gather(*(reply() for _ in range(replies)))
    finally:
        await provider.close()
        await server.stop()

    assert all(texts)
    assert len(provider.http_clients) == HTTP_CLIENT_SHARDS
    assert requests_per_client == [2] * HTTP_CLIENT_SHARDS  # two replies per client, not all of them in one pool
    assert all(http.is_closed for http in provider.http_clients)
