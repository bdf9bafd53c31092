"""A Gemini stand-in on loopback: a tiny HTTP/1.1 server that speaks Gemini's streaming protocol (its HTTP plumbing:
``salon.ai.standin_http``).

One implementation serves three purposes:

- the **offline model**: with no ``GEMINI_API_KEY`` salon starts one in-process and points the real google-genai SDK
  at it, so the whole provider path (SDK, HTTP, SSE parsing, retries) runs exactly as it does against Google;
- the **tests**, which script its answers (429 / 500 before the first chunk, 500 mid-stream, chunk count, delay) and
  read back the requests it received;
- the **benchmarks**: ``python -m salon.ai.standin --port 9100 --chunks 20 --delay-ms 30 [--stamp]``. A real Gemini
  spends none of our CPU; this one shares the machine with what it measures, so its streaming path is lean (frames
  encoded before the first is sent, one timer for every paced stream, uvloop) and its pacing is an absolute schedule,
  so its own lag never accumulates. ``--stamp`` starts every chunk's text with the time it was sent
  (``[sent <time.monotonic()>]``): a client on the same machine reads the latency added after the upstream from it.

It answers ``POST /{v1,v1beta}/models/{model}:streamGenerateContent?alt=sse`` with ``data: {...}`` frames (each a
``GenerateContentResponse``; the last carries ``finishReason: STOP`` and ``usageMetadata``), and
``:generateContent`` with one JSON body. Errors use Google's shape ``{"error": {"code", "message", "status"}}``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvloop

from salon.ai.standin_http import SENT_PLACEHOLDER, PacedStream, Pacer, read_request, send_json

ROUTE = re.compile(r"^/(?:v1|v1beta)/models/(?P<model>[^/:?]+):(?P<method>streamGenerateContent|generateContent)")
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
# An unpaced stream waits for its client only when this much is still unsent (a slow reader).
WRITE_BUFFER_LIMIT = 64 * 1024
SENT_STAMP = re.compile(r"\[sent (\d+\.\d+)\]")
# asyncio's default listen backlog is 100: a benchmark's 2,000 replies connecting at once overflowed it, and each SYN
# the kernel dropped cost its reply a 1 s (then 3 s, 7 s...) retransmission before the stand-in saw it.
LISTEN_BACKLOG = 4096

Responder = Callable[[dict[str, Any]], str]


@dataclass
class Answer:
    """How to answer one request. ``status`` other than 200 fails before any chunk; ``fail_after`` sends that many
    chunks and then an error frame with ``fail_status`` (a failure mid-stream); ``drop_after`` sends that many chunks
    and then closes the connection without ending the response (a network failure mid-stream); ``stall_after`` sends
    that many chunks and then nothing until the client goes away (a model that hangs; unpaced answers only)."""

    status: int = 200
    text: str | None = None
    chunks: int | None = None
    delay: float | None = None
    fail_after: int | None = None
    fail_status: int = 500
    drop_after: int | None = None
    stall_after: int | None = None


@dataclass
class RecordedRequest:
    path: str
    model: str
    method: str
    headers: dict[str, str]
    body: dict[str, Any]

    def texts(self) -> list[str]:
        """Every text part of ``contents``, in order."""
        return [part.get("text", "") for turn in self.body.get("contents", []) for part in turn.get("parts", [])]

    @property
    def system_instruction(self) -> str:
        parts = (self.body.get("systemInstruction") or {}).get("parts", [])
        return "".join(part.get("text", "") for part in parts)


def echo_reply(body: dict[str, Any]) -> str:
    """The default reply: names what it answers, so tests can tell turns apart. A request in JSON mode (a
    ``responseSchema``, as moderation's screening sends) gets what Gemini would give it: JSON matching the schema
    (``schema_answer``), not prose."""
    schema = (body.get("generationConfig") or {}).get("responseSchema")
    if schema:
        return json.dumps(schema_answer(schema))
    return f"You said: {last_user_text(body)}. That is an interesting thought; here is a considered answer."


def schema_answer(schema: dict[str, Any]) -> Any:
    """The plainest value matching a Gemini ``responseSchema``: every property of an object, ``true``, ``0``, one
    item per array, and for a string its enum's ``"other"`` (else its first value) or ``"stand-in answer"``. For
    moderation's verdict that is a safe post, as most posts are."""
    kind = str(schema.get("type", "STRING")).upper()
    if kind == "OBJECT":
        return {name: schema_answer(value) for name, value in (schema.get("properties") or {}).items()}
    if kind == "ARRAY":
        return [schema_answer(schema.get("items") or {})]
    if kind == "BOOLEAN":
        return True
    if kind in ("NUMBER", "INTEGER"):
        return 0
    options = schema.get("enum") or []
    if options:
        return "other" if "other" in options else options[0]
    return "stand-in answer"


def last_user_text(body: dict[str, Any]) -> str:
    for turn in reversed(body.get("contents", [])):
        if turn.get("role", "user") == "user":
            return "".join(part.get("text", "") for part in turn.get("parts", []))
    return ""


def split_text(text: str, pieces: int) -> list[str]:
    """Split ``text`` into ``pieces`` non-empty parts (fewer when the text is shorter) that join back into it."""
    pieces = max(1, min(pieces, len(text) or 1))
    size, extra = divmod(len(text), pieces)
    parts, start = [], 0
    for i in range(pieces):
        end = start + size + (1 if i < extra else 0)
        parts.append(text[start:end])
        start = end
    return parts


def sent_stamps(text: str) -> list[float]:
    """The send times (``time.monotonic()``) a ``--stamp`` stand-in put in ``text``: one per chunk it carries."""
    return [float(stamp) for stamp in SENT_STAMP.findall(text)]


def estimate_tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4) if text else 0


@dataclass
class GeminiStandIn:
    """A scriptable Gemini-protocol server. ``answers`` are consumed one per request; then the defaults apply."""

    reply: Responder = echo_reply
    chunks: int = 4
    delay: float = 0.0
    model_version: str = "salon-standin"
    stamp: bool = False  # start each chunk's text with ``[sent <time.monotonic()>]`` (benchmarks)
    requests: deque[RecordedRequest] = field(default_factory=lambda: deque(maxlen=1000))  # the most recent ones
    answers: deque[Answer] = field(default_factory=deque)
    _server: asyncio.Server | None = None
    _connections: set[asyncio.StreamWriter] = field(default_factory=set)
    _pacer: Pacer | None = None

    def script(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stand-in is not running")
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._server = await asyncio.start_server(self._serve_connection, host, port, backlog=LISTEN_BACKLOG)
        return self.base_url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._connections):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    # HTTP -------------------------------------------------------------------------------------------------------

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        try:
            while True:  # keep-alive: httpx reuses connections
                request = await read_request(reader)
                if request is None:
                    break
                method, target, headers, raw = request
                keep_open = await self._respond(reader, writer, method, target, headers, raw)
                if not keep_open:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._connections.discard(writer)
            writer.close()

    async def _respond(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        method: str,
        target: str,
        headers: dict[str, str],
        raw: bytes,
    ) -> bool:
        path = target.split("?", 1)[0]
        route = ROUTE.match(path)
        if method != "POST" or route is None:
            await send_json(writer, 404, _error_body(404, f"{method} {path} is not a Gemini endpoint"))
            return True
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            await send_json(writer, 400, _error_body(400, "The request body is not JSON."))
            return True
        self.requests.append(RecordedRequest(path, route["model"], route["method"], headers, body))
        answer = self.answers.popleft() if self.answers else Answer()
        if answer.status != 200:
            await send_json(writer, answer.status, _error_body(answer.status, "scripted failure"))
            return True
        text = answer.text if answer.text is not None else self.reply(body)
        parts = split_text(text, answer.chunks or self.chunks)
        usage = {
            "promptTokenCount": sum(estimate_tokens(t) for t in RecordedRequest("", "", "", {}, body).texts()),
            "candidatesTokenCount": estimate_tokens(text),
        }
        usage["totalTokenCount"] = usage["promptTokenCount"] + usage["candidatesTokenCount"]
        if route["method"] == "generateContent":
            await send_json(writer, 200, self._frame(text, usage, final=True))
            return True
        return await self._stream(reader, writer, parts, usage, answer)

    async def _stream(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        parts: list[str],
        usage: dict[str, int],
        answer: Answer,
    ) -> bool:
        delay = self.delay if answer.delay is None else answer.delay
        if self.stamp:
            parts = [f"[sent {SENT_PLACEHOLDER}] {part}" for part in parts]
        last = len(parts) - 1
        frames = [
            _sse(self._frame(part, usage if i == last else None, final=i == last)) for i, part in enumerate(parts)
        ]
        failing = answer.fail_after is not None and answer.fail_after < len(frames)
        if failing:
            frames[answer.fail_after :] = [_sse(_error_body(answer.fail_status, "scripted failure mid-stream"))]
        dropping = answer.drop_after is not None and answer.drop_after < len(frames)
        if dropping:
            frames[answer.drop_after :] = []
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n"
            b"cache-control: no-cache\r\n\r\n"
        )
        stream = PacedStream(writer, frames, self.stamp, keep_open=not failing, drop=dropping)
        if not delay:
            while not stream.done.done():
                if stream.sent == answer.stall_after:
                    await reader.read(1)  # returns when the client goes away (or the stand-in stops)
                    return False
                stream.send_next()
                if writer.transport.get_write_buffer_size() > WRITE_BUFFER_LIMIT:
                    await writer.drain()
            return await stream.done
        if self._pacer is None or self._pacer.loop is not asyncio.get_running_loop():
            self._pacer = Pacer()
        self._pacer.add(stream, delay)
        return await stream.done

    def _frame(self, text: str, usage: dict[str, int] | None, *, final: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
        if final:
            candidate["finishReason"] = "STOP"
        frame: dict[str, Any] = {"candidates": [candidate], "modelVersion": self.model_version}
        if usage is not None:
            frame["usageMetadata"] = usage
        return frame


def _error_body(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}}


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\r\n\r\n"


async def _serve_forever(args: argparse.Namespace) -> None:
    standin = GeminiStandIn(chunks=args.chunks, delay=args.delay_ms / 1000, stamp=args.stamp)
    url = await standin.start(args.host, args.port)
    print(f"Gemini stand-in listening on {url} ({args.chunks} chunks, {args.delay_ms} ms apart)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await standin.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="A Gemini-protocol stand-in on loopback (benchmarks, manual tests)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--chunks", type=int, default=20)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--stamp", action="store_true", help="start each chunk's text with the time it was sent")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(_serve_forever(args))


if __name__ == "__main__":
    main()
