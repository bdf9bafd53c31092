"""The Gemini stand-in's HTTP/1.1 plumbing (``salon.ai.standin``): reading a request, answering with JSON, and
streaming an answer's frames as HTTP chunks, paced from one timer for every stream."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import time
from typing import Any

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error",
           503: "Service Unavailable"}  # fmt: skip
MAX_BODY = 16 * 1024 * 1024
# ``--stamp``: the placeholder each chunk's frame carries until it is sent, and what replaces it.
SENT_PLACEHOLDER = "{sent-at}"
SENT_PLACEHOLDER_BYTES = SENT_PLACEHOLDER.encode()


class PacedStream:
    """One streamed answer: its frames, sent one by one (each an HTTP chunk), then the last, empty chunk (or, with
    ``drop``, a closed connection instead). ``done`` says whether the connection stays open for the next request (not
    after a scripted failure or when the client went away)."""

    def __init__(
        self, writer: asyncio.StreamWriter, frames: list[bytes], stamp: bool, *, keep_open: bool, drop: bool = False
    ) -> None:
        self.writer, self.frames, self.stamp, self.keep_open, self.drop = writer, frames, stamp, keep_open, drop
        self.sent = 0
        self.done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def send_next(self) -> None:
        transport = self.writer.transport
        if transport.is_closing():  # the client went away: nothing more to send, and the connection is done
            self.done.set_result(False)
            return
        if self.drop and self.sent == len(self.frames):
            transport.abort()
            self.done.set_result(False)
            return
        frame = self.frames[self.sent]
        if self.stamp:
            frame = frame.replace(SENT_PLACEHOLDER_BYTES, b"%.6f" % time.monotonic(), 1)
        self.sent += 1
        ending = b"0\r\n\r\n" if self.sent == len(self.frames) and not self.drop else b""
        transport.write(b"%x\r\n%s\r\n%s" % (len(frame), frame, ending))
        if ending:
            self.done.set_result(self.keep_open)


class Pacer:
    """Sends the chunks of every paced stream from one timer. Chunk ``i`` (from 0) of a stream is due
    ``(i + 1) * delay`` after its headers: an absolute schedule, so a late chunk does not delay the ones after it.
    Each tick sends every chunk due within ``QUANTUM``. A timer and a task switch per chunk cost the stand-in most of
    a core at 2,000 streams of 30 ms chunks, on the machine it is measuring. A slow reader is not waited for: an
    answer is a few kB."""

    QUANTUM = 0.001

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.due: list[tuple[float, int, float, PacedStream]] = []  # (when, tie-breaker, delay, stream)
        self.order = itertools.count()
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = 0.0

    def add(self, stream: PacedStream, delay: float) -> None:
        when = self.loop.time() + delay
        heapq.heappush(self.due, (when, next(self.order), delay, stream))
        if self.timer is None or when < self.timer_at:
            if self.timer is not None:
                self.timer.cancel()
            self._wake_at(when)

    def _tick(self) -> None:
        self.timer = None
        horizon = self.loop.time() + self.QUANTUM
        while self.due and self.due[0][0] <= horizon:
            when, _, delay, stream = heapq.heappop(self.due)
            stream.send_next()
            if not stream.done.done():
                heapq.heappush(self.due, (when + delay, next(self.order), delay, stream))
        if self.due:
            self._wake_at(self.due[0][0])

    def _wake_at(self, when: float) -> None:
        self.timer, self.timer_at = self.loop.call_at(when, self._tick), when


async def send_json(writer: asyncio.StreamWriter, status: int, payload: dict[str, Any]) -> None:
    data = json.dumps(payload).encode()
    writer.write(
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(data)}\r\n\r\n".encode()
        + data
    )
    await writer.drain()


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes] | None:
    line = await reader.readline()
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if length > MAX_BODY:
        raise ConnectionError("request body too large")
    body = await reader.readexactly(length) if length else b""
    return method, target, headers, body
