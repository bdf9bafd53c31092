"""A small SSE test client on httpx-sse: open a stream, read events with a timeout, skip comments."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import ServerSentEvent, aconnect_sse


@dataclass
class Event:
    id: str
    name: str
    data: Any


class StreamReader:
    def __init__(self, events: AsyncIterator[ServerSentEvent], response: httpx.Response) -> None:
        self._events = events
        self.response = response
        self.opening_id: str | None = None

    async def _next_frame(self, timeout: float) -> ServerSentEvent:
        return await asyncio.wait_for(anext(self._events), timeout)

    async def next(self, timeout: float = 5.0) -> Event:
        """The next event with a name (id-only frames and comments are skipped)."""
        while True:
            frame = await self._next_frame(timeout)
            if frame.data:
                return Event(id=frame.id, name=frame.event, data=json.loads(frame.data))

    async def collect(self, count: int, timeout: float = 5.0) -> list[Event]:
        return [await self.next(timeout) for _ in range(count)]

    async def nothing_more(self, wait: float = 0.5) -> bool:
        try:
            await self.next(timeout=wait)
        except TimeoutError:
            return True
        return False

    async def ended(self, timeout: float = 5.0) -> bool:
        try:
            while True:
                await self._next_frame(timeout)
        except StopAsyncIteration:
            return True


@asynccontextmanager
async def open_stream(
    base_url: str,
    headers: dict[str, str] | None = None,
    *,
    last_event_id: str | None = None,
    params: dict[str, str] | None = None,
) -> AsyncIterator[StreamReader]:
    request_headers = dict(headers or {})
    if last_event_id is not None:
        request_headers["Last-Event-ID"] = last_event_id
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(10, read=None)) as http,
        aconnect_sse(http, "GET", "/api/v1/events", headers=request_headers, params=params) as source,
    ):
        source.response.raise_for_status()
        reader = StreamReader(source.aiter_sse().__aiter__(), source.response)
        resuming = last_event_id is not None or "last_event_id" in (params or {})
        if not resuming:  # a fresh stream's opening comment carries its starting id (a resumed one's carries none)
            reader.opening_id = (await reader._next_frame(5.0)).id
        yield reader
