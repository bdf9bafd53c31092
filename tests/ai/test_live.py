"""Disconnect and re-attach against a real Granian server (httpx's in-process transport buffers whole responses)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from salon.ai.standin import GeminiStandIn
from tests.ai.conftest import parse_sse
from tests.conftest import wait_for
from tests.helpers import create_user

API = "/api/v1/ai/conversations"


async def test_disconnect_then_reattach_with_last_event_id_yields_the_rest_without_repeats(
    live_server_factory: Callable[..., Any],
) -> None:
    standin = GeminiStandIn(chunks=12, delay=0.1)
    url = await standin.start()
    try:
        live = live_server_factory({"GEMINI_API_KEY": "test-key", "SALON_GEMINI_BASE_URL": url})
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            alice = await create_user(http, "alice")
            conversation = (await http.post(API, json={}, headers=alice.headers)).json()
            messages_url = f"{API}/{conversation['id']}/messages"

            seen = []
            async with aconnect_sse(
                http, "POST", messages_url, json={"content": "a long answer please"}, headers=alice.headers
            ) as source:
                async for event in source.aiter_sse():
                    seen.append(event)
                    if sum(e.event == "ai_chunk" for e in seen) == 2:
                        break  # the client goes away mid-reply
            assert [e.event for e in seen] == ["ai_start", "ai_chunk", "ai_chunk"]
            reply_id = json.loads(seen[0].data)["ai_message_id"]

            resumed = await http.get(
                f"{messages_url}/{reply_id}/stream", headers={**alice.headers, "Last-Event-ID": seen[-1].id}
            )
            rest = parse_sse(resumed.text)

            assert rest[0].event == "ai_chunk"
            assert rest[-1].event == "ai_complete"
            chunks = [json.loads(e.data) for e in seen[1:]] + [f.data for f in rest if f.event == "ai_chunk"]
            assert [c["index"] for c in chunks] == list(range(12))
            assert rest[-1].data["message"]["content"] == "".join(c["delta"] for c in chunks)

            # a client that never comes back still gets a complete stored reply
            async with aconnect_sse(
                http, "POST", messages_url, json={"content": "and another"}, headers=alice.headers
            ) as source:
                async for event in source.aiter_sse():
                    assert event.event == "ai_start"
                    break

            async def stored_reply() -> dict[str, Any] | None:
                items = (await http.get(messages_url, headers=alice.headers)).json()["items"]
                return items[-1] if items[-1]["status"] == "complete" else None

            final = await wait_for(stored_reply, timeout=15)
            assert final["seq"] == 4
            assert final["content"].startswith("You said: and another")
            assert len(standin.requests) == 2
    finally:
        await standin.stop()


async def test_a_server_without_an_api_key_streams_the_offline_model(live_server_factory: Callable[..., Any]) -> None:
    live = live_server_factory({"GEMINI_API_KEY": ""})
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        alice = await create_user(http, "newcomer")
        conversation = (await http.post(API, json={}, headers=alice.headers)).json()
        response = await http.post(
            f"{API}/{conversation['id']}/messages", json={"content": "hello?"}, headers=alice.headers
        )

    frames = parse_sse(response.text)
    assert frames[-1].event == "ai_complete"
    assert sum(f.event == "ai_chunk" for f in frames) > 1
    assert "set GEMINI_API_KEY".lower() in frames[-1].data["message"]["content"].lower()
