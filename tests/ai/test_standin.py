"""The stand-in answers as Gemini would: prose by default, JSON matching the schema in JSON mode."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from salon.ai.standin import SENT_STAMP, GeminiStandIn, echo_reply, schema_answer, sent_stamps
from salon.moderation import screening
from salon.moderation.schemas import Verdict


async def test_a_json_mode_request_gets_json_of_its_schema(standin: GeminiStandIn) -> None:
    # Moderation's screening, through the real SDK: a verdict, not an echo the screening would count as a failure.
    verdict = await screening.ask_model("an ordinary post")

    assert verdict == Verdict(is_safe=True, category="other", confidence=0.0, reason="stand-in answer")
    assert standin.requests[-1].body["generationConfig"]["responseMimeType"] == "application/json"


def test_schema_answer_covers_every_gemini_type() -> None:
    schema = {
        "type": "OBJECT",
        "properties": {
            "tags": {"type": "ARRAY", "items": {"type": "STRING", "enum": ["a", "b"]}},
            "count": {"type": "INTEGER"},
            "ok": {"type": "BOOLEAN"},
            "nested": {"type": "object", "properties": {"why": {"type": "STRING"}}},
        },
    }

    assert schema_answer(schema) == {"tags": ["a"], "count": 0, "ok": True, "nested": {"why": "stand-in answer"}}


async def _stream_frames(url: str, text: str, *, stall_after_first: float = 0.0) -> list[tuple[float, str]]:
    """``(arrival time.monotonic(), text)`` of each chunk of one streamed answer, read off the wire. With
    ``stall_after_first``, the event loop (the stand-in's too) is blocked that long after the first chunk."""
    body = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
    frames = []
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream("POST", f"{url}/v1beta/models/m:streamGenerateContent?alt=sse", json=body) as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                parts = json.loads(line[6:])["candidates"][0]["content"]["parts"]
                frames.append((time.monotonic(), "".join(part["text"] for part in parts)))
                if len(frames) == 1:
                    time.sleep(stall_after_first)
    return frames


async def test_stamped_chunks_carry_the_time_they_were_sent() -> None:
    server = GeminiStandIn(chunks=6, delay=0.02, stamp=True)
    url = await server.start()
    try:
        started = time.monotonic()
        frames = await _stream_frames(url, "a message long enough for six chunks")
    finally:
        await server.stop()

    stamps = [sent_stamps(text) for _, text in frames]
    assert [len(found) for found in stamps] == [1] * 6
    for index, ((arrived, _), (sent,)) in enumerate(zip(frames, stamps, strict=True)):
        assert started + (index + 1) * 0.02 - 0.002 <= sent <= arrived  # chunk i is due (i + 1) delays in
    texts = [SENT_STAMP.sub("", text).removeprefix(" ") for _, text in frames]
    assert "".join(texts) == echo_reply({"contents": [{"parts": [{"text": "a message long enough for six chunks"}]}]})


async def test_a_late_chunk_does_not_delay_the_ones_after_it() -> None:
    # The pacing is an absolute schedule: chunk i is due (i + 1) delays after the headers, however late the one before
    # it went out (a real model's tokens do not wait for a busy reader of the stand-in's machine).
    delay = 0.02
    server = GeminiStandIn(chunks=6, delay=delay, stamp=True)
    url = await server.start()
    try:
        # The stall (the stand-in's loop is blocked too) outlasts the whole schedule: every later chunk is overdue.
        frames = await _stream_frames(url, "a message long enough for six chunks", stall_after_first=8 * delay)
    finally:
        await server.stop()

    (second_sent,), (last_sent,) = sent_stamps(frames[1][1]), sent_stamps(frames[-1][1])
    # All five go out together once the loop is free; a schedule relative to the late chunk would space them 4 delays.
    # Both times are the stand-in's, so connecting and a busy client do not count.
    assert last_sent - second_sent < 2 * delay


async def test_many_paced_streams_each_get_every_chunk_in_order() -> None:
    server = GeminiStandIn(chunks=8, delay=0.005)
    url = await server.start()
    try:
        answers = await asyncio.gather(*(_stream_frames(url, f"stream {n}") for n in range(40)))
    finally:
        await server.stop()

    for n, frames in enumerate(answers):
        assert len(frames) == 8
        assert "".join(text for _, text in frames) == echo_reply({"contents": [{"parts": [{"text": f"stream {n}"}]}]})
