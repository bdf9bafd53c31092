"""Idempotent sends, and reply streams on shutdown (the app-level signal of salon.lib.shutdown)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import msgspec
import pytest

from salon.ai import schemas, streams
from salon.ai.standin import Answer, GeminiStandIn
from salon.ai.tables import Message
from salon.lib import shutdown
from salon.lib import valkey as valkey_client
from tests.ai.conftest import new_conversation, parse_sse
from tests.conftest import wait_for
from tests.helpers import create_user

API = "/api/v1/ai/conversations"


async def test_a_retried_send_with_the_same_key_starts_no_second_reply(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    url = f"{API}/{conversation['id']}/messages"
    headers = {**alice.headers, "Idempotency-Key": "send-1"}

    first, retried = await asyncio.gather(
        client.post(url, json={"content": "hello"}, headers=headers),
        client.post(url, json={"content": "hello"}, headers=headers),
    )
    again = await client.post(url, json={"content": "hello"}, headers=headers)

    assert [r.status_code for r in (first, retried, again)] == [200, 200, 200]
    assert sorted(r.headers.get("Idempotent-Replayed", "false") for r in (first, retried)) == ["false", "true"]
    assert again.headers["Idempotent-Replayed"] == "true"
    streams_seen = [parse_sse(r.text) for r in (first, retried, again)]
    assert {frames[0].data["ai_message_id"] for frames in streams_seen} == {streams_seen[0][0].data["ai_message_id"]}
    assert all(frames[-1].event == "ai_complete" for frames in streams_seen)
    assert len(standin.requests) == 1
    stored = (await client.get(url, headers=alice.headers)).json()["items"]
    assert [m["role"] for m in stored] == ["user", "model"]

    other_content = await client.post(url, json={"content": "something else"}, headers=headers)
    bad_key = await client.post(url, json={"content": "hello"}, headers={**alice.headers, "Idempotency-Key": "a b"})
    assert (other_content.status_code, bad_key.status_code) == (422, 422)
    # the key is the user's own: another user's send with the same key is a send of its own
    bob = await create_user(client, "bob")
    bobs = await new_conversation(client, bob)
    response = await client.post(
        f"{API}/{bobs['id']}/messages", json={"content": "hello"}, headers={**bob.headers, "Idempotency-Key": "send-1"}
    )
    assert "Idempotent-Replayed" not in response.headers
    assert parse_sse(response.text)[-1].event == "ai_complete"


@pytest.fixture
def fresh_shutdown(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shutdown signal for this test only (the app is shared by the whole session)."""
    monkeypatch.setattr(shutdown, "_signal", asyncio.Event())
    monkeypatch.setattr(shutdown, "_listeners", [])


async def test_shutdown_interrupts_a_reply_produced_here_and_ends_its_stream(
    client: httpx.AsyncClient, standin: GeminiStandIn, fresh_shutdown: None
) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    standin.script(Answer(chunks=200, delay=0.05))  # ten seconds of reply, unless something ends it
    url = f"{API}/{conversation['id']}/messages"
    sending = asyncio.create_task(client.post(url, json={"content": "a long one"}, headers=alice.headers))

    async def two_chunks_in() -> Any:
        row = await Message.select(Message.id).where(Message.status == "streaming").first()
        return row and len(await streams.chunk_texts(str(row["id"]))) >= 2 and row["id"]

    reply_id = await wait_for(two_chunks_in, timeout=10)
    shutdown.begin()
    response = await asyncio.wait_for(sending, timeout=5)

    frames = parse_sse(response.text)
    # The stream ends with the reply's own terminal frame, or, when recording the interruption is slower than one
    # read (a loaded machine), with ai_reconnect: the client then re-attaches elsewhere and reads the same log.
    assert frames[-1].event in ("error", "ai_reconnect")

    async def ended() -> Any:  # the outcome is stored first, then the terminal frame is appended to the log
        entries = await valkey_client.client().xrange(streams.stream_key(str(reply_id)))
        return entries if entries and entries[-1][1]["event"] != "ai_chunk" else None

    log = await wait_for(ended, timeout=10)
    stored = await Message.select().where(Message.id == reply_id).first()
    assert stored["status"] == "failed"
    terminal = msgspec.json.decode(log[-1][1]["data"])
    assert (log[-1][1]["event"], terminal["code"], terminal["retryable"]) == ("error", "generation_interrupted", True)
    if frames[-1].event == "error":
        assert frames[-1].data["code"] == "generation_interrupted"
    chunks = [msgspec.json.decode(fields["data"])["delta"] for _, fields in log if fields["event"] == "ai_chunk"]
    delivered = [f.data["delta"] for f in frames if f.event == "ai_chunk"]
    assert delivered == chunks[: len(delivered)], "what the stream delivered is a prefix of the log, in order"
    assert stored["content"] == "".join(chunks)
    assert 2 <= len(chunks) < 200
    refused = await client.post(url, json={"content": "more"}, headers=alice.headers)
    assert (refused.status_code, refused.json()["code"]) == (503, "shutting_down")


async def test_on_shutdown_a_stream_of_a_reply_produced_elsewhere_ends_with_ai_reconnect(
    app: Any, fresh_shutdown: None
) -> None:
    message_id = "0190a000-0000-7000-8000-000000000001"
    await streams.append(message_id, "ai_chunk", schemas.AiChunk(delta="Hel", index=0), retention=60)
    last_id = await streams.append(message_id, "ai_chunk", schemas.AiChunk(delta="lo", index=1))
    idle_checks = 0

    async def still_alive() -> None:  # the generation runs in another process, which is fine
        nonlocal idle_checks
        idle_checks += 1

    reader = streams.follow(message_id, None, still_alive)
    frames = [await anext(reader) for _ in range(3)]  # the opening comment and both chunks
    pending = asyncio.ensure_future(anext(reader))
    await asyncio.sleep(0.2)
    assert not pending.done()  # waiting for more (XREAD BLOCK)
    shutdown.begin()
    reconnect = await asyncio.wait_for(pending, timeout=1)

    assert [f.id for f in frames[1:]] == [frames[1].id, last_id]
    assert (reconnect.event, reconnect.id) == ("ai_reconnect", last_id)
    assert message_id in str(reconnect.data)
    with pytest.raises(StopAsyncIteration):
        await anext(reader)
    assert idle_checks == 0
