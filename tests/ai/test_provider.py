"""The provider against the real google-genai SDK and the loopback stand-in: concurrency over one aiohttp session,
and the failures a network and a model can have (a hang before or after the first chunk, a dropped connection, a
refused one), each a typed ``ProviderError``, retried only before the first chunk and never by the SDK behind our
back."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

from salon.ai.provider import GeminiProvider, ProviderError, Turn
from salon.ai.standin import Answer, GeminiStandIn

TIMEOUT = 0.4


@pytest.fixture
async def server() -> AsyncIterator[GeminiStandIn]:
    standin = GeminiStandIn(chunks=3)
    await standin.start()
    yield standin
    await standin.stop()


def make_provider(settings: Any, base_url: str, **changes: Any) -> GeminiProvider:
    options = {"ai_provider_timeout_seconds": TIMEOUT, "ai_provider_retry_delay_seconds": 0.01, **changes}
    return GeminiProvider(
        msgspec.structs.replace(settings, gemini_api_key="test-key", gemini_base_url=base_url, **options)
    )


async def read(provider: GeminiProvider, received: list[str]) -> None:
    async for delta in provider.reply([Turn(role="user", text="hello there")]):
        received.append(delta)


async def fails(
    settings: Any, base_url: str, received: list[str] | None = None, **changes: Any
) -> tuple[ProviderError, float]:
    """One reply that must fail, from a provider of its own: the error, and how long the reply took."""
    provider = make_provider(settings, base_url, **changes)
    started = time.monotonic()
    try:
        with pytest.raises(ProviderError) as caught:
            await read(provider, [] if received is None else received)
    finally:
        await provider.close()
    return caught.value, time.monotonic() - started


async def test_concurrent_replies_share_one_session_and_close_with_it(settings: Any, server: GeminiStandIn) -> None:
    server.delay = 0.05
    provider = make_provider(settings, server.base_url)
    texts: list[list[str]] = [[] for _ in range(40)]
    try:
        await asyncio.gather(*(read(provider, received) for received in texts))
    finally:
        await provider.close()

    assert all("".join(received).startswith("You said: hello there.") for received in texts)
    assert all(len(received) == 3 for received in texts)
    assert len(server.requests) == 40
    assert provider.http.closed


async def test_the_request_carries_every_turn_in_order_with_the_system_instruction_and_limit(
    settings: Any, server: GeminiStandIn
) -> None:
    turns = [Turn(role="user" if i % 2 == 0 else "model", text=f"turn {i}") for i in range(7)]
    provider = make_provider(settings, server.base_url)
    try:
        text = "".join([delta async for delta in provider.reply(turns, system="Be brief.", max_tokens=50)])
    finally:
        await provider.close()

    request = server.requests[-1]
    assert request.body["contents"] == [{"role": t.role, "parts": [{"text": t.text}]} for t in turns]
    assert request.system_instruction == "Be brief."
    assert request.body["generationConfig"] == {"maxOutputTokens": 50}
    assert text.startswith("You said: turn 6.")


async def test_a_model_that_stops_sending_fails_with_provider_timeout_and_keeps_what_arrived(
    settings: Any, server: GeminiStandIn
) -> None:
    server.script(Answer(chunks=3, stall_after=1))
    received: list[str] = []
    error, took = await fails(settings, server.base_url, received)

    assert (error.code, error.retryable) == ("provider_timeout", True)
    assert len(received) == 1  # the first chunk, then nothing for longer than the timeout
    assert received[0].startswith("You said: hello there.")
    assert TIMEOUT <= took < TIMEOUT + 2
    assert len(server.requests) == 1  # text had reached the user: no retry


async def test_no_first_chunk_within_the_timeout_is_retried_then_fails_with_provider_timeout(
    settings: Any, server: GeminiStandIn
) -> None:
    server.script(Answer(stall_after=0), Answer(stall_after=0))
    error, took = await fails(settings, server.base_url, ai_provider_retries=1)

    assert (error.code, error.retryable) == ("provider_timeout", True)
    assert len(server.requests) == 2  # transient before the first chunk: retried once, as configured
    assert 2 * TIMEOUT <= took < 2 * TIMEOUT + 2


async def test_a_connection_dropped_mid_stream_fails_the_reply_after_the_chunks_that_arrived(
    settings: Any, server: GeminiStandIn
) -> None:
    server.script(Answer(chunks=4, drop_after=2))
    received: list[str] = []
    error, _ = await fails(settings, server.base_url, received)

    assert error.code == "provider_unreachable"  # aiohttp: the chunked body ended before its last chunk
    assert error.retryable
    assert len(received) == 2
    assert len(server.requests) == 1


async def test_a_connection_dropped_before_the_first_chunk_is_retried(settings: Any, server: GeminiStandIn) -> None:
    server.script(Answer(chunks=3, drop_after=0))  # headers sent, then the body cut off: nothing reached the user
    provider = make_provider(settings, server.base_url, ai_provider_retries=1)
    received: list[str] = []
    try:
        await read(provider, received)
    finally:
        await provider.close()

    assert len(server.requests) == 2
    assert len(received) == 3  # the retry's whole answer


async def test_a_connection_dropped_before_the_first_chunk_every_time_fails_as_unreachable(
    settings: Any, server: GeminiStandIn
) -> None:
    server.script(Answer(drop_after=0), Answer(drop_after=0))
    error, _ = await fails(settings, server.base_url, ai_provider_retries=1)

    assert (error.code, error.retryable) == ("provider_unreachable", True)
    assert len(server.requests) == 2


async def test_a_refused_connection_is_retried_by_salon_alone_and_fails_fast(settings: Any) -> None:
    with socket.socket() as probe:  # a loopback port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error, took = await fails(settings, f"http://127.0.0.1:{port}", ai_provider_retries=2)

    assert (error.code, error.retryable) == ("provider_unreachable", True)
    # Without one attempt per request the SDK would sleep 1-10 s and try again on its own, under salon's retries.
    assert took < 1.0
