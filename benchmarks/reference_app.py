"""The references salon is measured against: the bare framework, with nothing of salon in it.

- ``GET /json`` returns a constant msgspec Struct: the most a Litestar + msgspec app on Granian can answer.
- ``GET /sse?events=N&delay_ms=D`` streams ``N`` Server-Sent Events (``D`` ms apart): the bare SSE stream rate, and,
  with a delay, the latency a bare stream adds per event.

``benchmarks/run.py`` starts it under Granian with the same worker count as salon in the same run:
``granian --interface asgi --factory benchmarks.reference_app:create_app``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from litestar import Litestar, get
from litestar.params import Parameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

MAX_EVENTS = 10_000


class Greeting(msgspec.Struct):
    message: str
    count: int
    tags: list[str]


GREETING = Greeting(message="hello, world", count=20, tags=["bare", "litestar", "msgspec"])


@get("/json", sync_to_thread=False)
def constant_json() -> Greeting:
    return GREETING


async def _events(count: int, delay: float) -> AsyncIterator[ServerSentEventMessage]:
    for index in range(count):
        if delay:
            await asyncio.sleep(delay)
        yield ServerSentEventMessage(id=str(index), event="chunk", data=f'{{"i":{index},"t":{time.time():.6f}}}')
    yield ServerSentEventMessage(event="done", data="{}")


@get("/sse", media_type="text/event-stream")
async def bare_stream(
    events: Annotated[int, Parameter(ge=0, le=MAX_EVENTS)] = 20,
    delay_ms: Annotated[float, Parameter(ge=0, le=10_000)] = 0.0,
) -> ServerSentEvent:
    return ServerSentEvent(_events(events, delay_ms / 1000))


def create_app() -> Litestar:
    return Litestar(route_handlers=[constant_json, bare_stream], openapi_config=None, debug=False)
