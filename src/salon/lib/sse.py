"""Server-Sent Events responses: the AI reply streams and the event stream.

``SseResponse`` is Litestar's ``ServerSentEvent`` without its preamble step. That step reads the response-wide
preamble (an ``id:``, ``event:`` or comment for the whole response, which salon never sets) in a worker thread, and
then runs the rest of the stream inside the ``except`` that ended the read: the exception chain (a ``StopIteration``,
a ``ValueError``, their tracebacks and frames) stays alive for as long as the stream is open. With thousands of event
streams that was a thread hop for each one opening, and a chain per open stream for the cyclic collector to walk.
Frames are still Litestar's ``ServerSentEventMessage``, encoded by it, with the headers ``ServerSentEvent`` sends;
handlers keep ``ServerSentEvent`` as their return type, which the OpenAPI document reads (``salon.lib.openapi``).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable

from litestar.response import ServerSentEvent, ServerSentEventMessage, Stream
from litestar.types import ResponseHeaders

Frames = AsyncIterable[ServerSentEventMessage] | Iterable[ServerSentEventMessage]


class SseResponse(ServerSentEvent):
    def __init__(self, frames: Frames, *, headers: ResponseHeaders | None = None, status_code: int | None = None):
        Stream.__init__(  # not ServerSentEvent.__init__: see the module docstring
            self, _encoded(frames), media_type="text/event-stream", headers=headers, status_code=status_code
        )
        self.headers.setdefault("Cache-Control", "no-cache")
        self.headers["Connection"] = "keep-alive"
        self.headers["X-Accel-Buffering"] = "no"


async def _encoded(frames: Frames) -> AsyncIterator[bytes]:
    if isinstance(frames, AsyncIterable):
        async for frame in frames:
            yield frame.encode()
    else:
        for frame in frames:
            yield frame.encode()
