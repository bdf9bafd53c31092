"""Readers of a reply produced in this process get its frames handed over by the producer (``streams.open_local``),
and fall back to the Valkey stream when they fall behind or the producer goes away without a terminal frame."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from salon.ai import schemas, streams
from salon.lib import valkey as valkey_client

MESSAGE_ID = "0190a000-0000-7000-8000-0000000000aa"


async def nothing() -> None:
    return None


async def chunk(index: int) -> str:
    return await streams.append(MESSAGE_ID, "ai_chunk", schemas.AiChunk(delta=f"c{index}", index=index), retention=60)


async def complete() -> str:
    frame = schemas.AiError(code="done", detail="end of test", retryable=False, message_id=MESSAGE_ID)
    return await streams.append(MESSAGE_ID, "error", frame, retention=60)


async def frames_until_terminal(reader: Any) -> list[Any]:
    frames = []
    async for frame in reader:
        if frame.event is not None:
            frames.append(frame)
    return frames


@pytest.fixture
def local_reply(app: Any) -> Any:
    streams.open_local(MESSAGE_ID)
    yield
    streams.close_local(MESSAGE_ID)


async def test_backlog_then_live_frames_each_once_in_order(local_reply: None) -> None:
    before = [await chunk(index) for index in range(3)]
    reader = streams.follow(MESSAGE_ID, None, nothing)
    assert (await anext(reader)).comment  # the opening comment; the reader has subscribed
    collected = asyncio.ensure_future(frames_until_terminal(reader))
    after = [await chunk(index) for index in range(3, 6)] + [await complete()]
    frames = await asyncio.wait_for(collected, timeout=5)
    assert [frame.id for frame in frames] == before + after
    assert frames[-1].event == "error"


async def test_a_reader_that_falls_behind_rereads_the_stream(local_reply: None, monkeypatch: Any) -> None:
    monkeypatch.setattr(streams, "LOCAL_QUEUE_LIMIT", 2)
    reader = streams.follow(MESSAGE_ID, None, nothing)
    await anext(reader)  # subscribed, nothing read yet
    first = await chunk(0)
    assert (await anext(reader)).id == first
    written = [await chunk(index) for index in range(1, 9)] + [await complete()]  # overflows its queue of 2
    frames = await asyncio.wait_for(frames_until_terminal(reader), timeout=5)
    assert [frame.id for frame in frames] == written


async def test_when_the_local_producer_ends_without_a_terminal_frame_the_reader_follows_the_stream(
    local_reply: None,
) -> None:
    reader = streams.follow(MESSAGE_ID, None, nothing)
    await anext(reader)
    first = await chunk(0)
    assert (await anext(reader)).id == first
    streams.close_local(MESSAGE_ID)  # e.g. its outcome could not be stored: another reader will finish the stream
    pending = asyncio.ensure_future(frames_until_terminal(reader))
    await asyncio.sleep(0.1)
    terminal = await complete()  # written by whoever notices (fail_if_abandoned), not handed over locally
    frames = await asyncio.wait_for(pending, timeout=5)
    assert [frame.id for frame in frames] == [terminal]
    assert await valkey_client.client().xlen(streams.stream_key(MESSAGE_ID)) == 2


async def test_a_reader_whose_queue_was_full_when_the_producer_ended_follows_the_stream(
    local_reply: None, monkeypatch: Any
) -> None:
    monkeypatch.setattr(streams, "LOCAL_QUEUE_LIMIT", 1)
    monkeypatch.setattr(streams, "BLOCK_MS", 200)
    reader = streams.follow(MESSAGE_ID, None, nothing)
    await anext(reader)
    first = await chunk(0)
    assert (await anext(reader)).id == first
    second, third = await chunk(1), await chunk(2)  # the queue of one overflows ...
    streams.close_local(MESSAGE_ID)  # ... so the producer's end signal is dropped too
    pending = asyncio.ensure_future(frames_until_terminal(reader))
    await asyncio.sleep(0.5)
    terminal = await complete()  # written to the stream only (no local producer any more)
    frames = await asyncio.wait_for(pending, timeout=5)
    assert [frame.id for frame in frames] == [second, third, terminal]


# A Lua loop that keeps Valkey busy for a while (``TIME`` stands still inside a script, so it counts iterations):
# the shared pipeline's batch stays in flight while it runs.
_BUSY = "for i = 1, tonumber(ARGV[1]) do end return 1"
_BUSY_ITERATIONS = 100_000_000  # ~0.3 s here


async def _keep_the_pipeline_busy() -> asyncio.Future[Any]:
    busy = valkey_client.submit(("EVAL", _BUSY, 0, _BUSY_ITERATIONS))
    await asyncio.sleep(0.02)  # the pipeline's task has sent it: in flight from here on
    return busy


def _following(entry_id: str, n: int) -> str:
    """The id ``n`` entries after ``entry_id``, as ``FrameWriter`` names them."""
    milliseconds, _, sequence = entry_id.partition("-")
    return f"{milliseconds}-{int(sequence) + n}"


async def test_a_chunk_reaches_local_readers_as_it_is_written_with_the_id_it_keeps_in_the_stream(
    local_reply: None,
) -> None:
    start = await streams.append(MESSAGE_ID, "ai_start", schemas.AiChunk(delta="", index=0), retention=60)
    writer = streams.FrameWriter(MESSAGE_ID, after=start)
    reader = streams.follow(MESSAGE_ID, None, nothing)
    assert (await anext(reader)).comment
    assert (await anext(reader)).id == start
    busy = await _keep_the_pipeline_busy()  # Valkey cannot answer the chunk's write for a while

    writer.write("ai_chunk", schemas.AiChunk(delta="hi", index=0))
    frame = await asyncio.wait_for(anext(reader), timeout=5)

    assert not busy.done()  # the reader had the chunk before Valkey could have stored it
    assert frame.id == _following(start, 1)
    await writer.drain()
    stored = await valkey_client.client().xrange(streams.stream_key(MESSAGE_ID))
    assert [entry_id for entry_id, _ in stored] == [start, frame.id]


async def test_a_reader_joining_while_chunks_wait_for_the_pipeline_gets_each_once_in_order(
    local_reply: None,
) -> None:
    # Chunks handed to local readers before Valkey has them: a reader that subscribes then must read its backlog
    # behind those writes, or the chunks written just before it subscribed are in neither its backlog nor its queue.
    start = await streams.append(MESSAGE_ID, "ai_start", schemas.AiChunk(delta="", index=0), retention=60)
    writer = streams.FrameWriter(MESSAGE_ID, after=start)
    busy = await _keep_the_pipeline_busy()
    for index in range(3):
        writer.write("ai_chunk", schemas.AiChunk(delta=f"c{index}", index=index))  # queued behind it
    reader = streams.follow(MESSAGE_ID, None, nothing)
    assert (await anext(reader)).comment  # it subscribes on its next read: after the three were handed over

    frames = [await asyncio.wait_for(anext(reader), timeout=5) for _ in range(4)]

    await busy
    assert [frame.event for frame in frames] == ["ai_start", "ai_chunk", "ai_chunk", "ai_chunk"]
    assert [frame.id for frame in frames] == [start, *(_following(start, n) for n in (1, 2, 3))]
