"""AI tests run the real google-genai SDK against the loopback Gemini stand-in (salon.ai.standin)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pytest

from salon.ai import generation
from salon.ai.provider import GeminiProvider, use_provider
from salon.ai.standin import GeminiStandIn


@pytest.fixture
async def standin(app: Any, settings: Any) -> AsyncIterator[GeminiStandIn]:
    """A stand-in on loopback, and the app's provider pointed at it (as SALON_GEMINI_BASE_URL would)."""
    server = GeminiStandIn(chunks=4)
    url = await server.start()
    provider = GeminiProvider(
        msgspec.structs.replace(
            settings, gemini_api_key="test-key", gemini_base_url=url, ai_provider_retry_delay_seconds=0.01
        )
    )
    previous = await use_provider(provider)
    yield server
    await generation.shutdown()
    await use_provider(previous)
    await provider.close()
    await server.stop()


@dataclass
class Frame:
    id: str | None
    event: str
    data: Any


def parse_sse(text: str) -> list[Frame]:
    """Frames of a text/event-stream body (comments skipped)."""
    frames = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            fields[name] = fields[name] + "\n" + value if name in fields else value
        if "event" in fields or "data" in fields:
            frames.append(
                Frame(fields.get("id"), fields.get("event", "message"), json.loads(fields.get("data", "null")))
            )
    return frames


async def new_conversation(client: httpx.AsyncClient, user: Any, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/ai/conversations", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def send(client: httpx.AsyncClient, user: Any, conversation_id: str, content: str) -> list[Frame]:
    response = await client.post(
        f"/api/v1/ai/conversations/{conversation_id}/messages", json={"content": content}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_sse(response.text)
