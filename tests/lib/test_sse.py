"""``SseResponse``: what Litestar's ``ServerSentEvent`` sends, without holding an exception for the stream's life."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator

from litestar import Litestar, get
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.testing import AsyncTestClient

from salon.lib.sse import SseResponse

FRAMES = [
    ServerSentEventMessage(data=None, comment="opening"),
    ServerSentEventMessage(id="1-0", event="ai_chunk", data='{"delta":"a"}'),
    ServerSentEventMessage(id="2-0", event="ai_complete", data='{"n":2}', retry=1000),
]


def _app(seen: list[object]) -> Litestar:
    async def frames() -> AsyncIterator[ServerSentEventMessage]:
        for frame in FRAMES:
            seen.append(sys.exc_info()[1])  # the exception being handled around the stream, if any
            yield frame

    @get("/litestar")
    async def litestar_sse() -> ServerSentEvent:
        return ServerSentEvent(frames())

    @get("/salon")
    async def salon_sse() -> ServerSentEvent:
        return SseResponse(frames(), headers={"Idempotent-Replayed": "true"})

    return Litestar([litestar_sse, salon_sse])


async def test_it_sends_what_litestars_server_sent_event_sends_and_holds_no_exception() -> None:
    seen_by_litestar: list[object] = []
    seen_by_salon: list[object] = []
    async with AsyncTestClient(_app(seen_by_litestar)) as client:
        expected = await client.get("/litestar")
    async with AsyncTestClient(_app(seen_by_salon)) as client:
        response = await client.get("/salon")

    assert response.content == expected.content
    for name in ("content-type", "cache-control", "connection", "x-accel-buffering"):
        assert response.headers[name] == expected.headers[name], name
    assert response.headers["idempotent-replayed"] == "true"
    # Litestar runs the stream inside the ``except`` that ended its preamble read: that exception lives as long
    # as the stream does. Ours holds none.
    assert all(isinstance(error, ValueError) for error in seen_by_litestar)
    assert seen_by_salon == [None, None, None]
