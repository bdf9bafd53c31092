"""What sending a message to the model costs in database and Valkey round trips, and that the writes it saves still
happen: the turn, the outcome, the conversation's activity time, the day's usage, and every chunk in the stream."""

from __future__ import annotations

import asyncio

import httpx
import msgspec
import pytest

from salon.ai import schemas, streams
from salon.ai.standin import GeminiStandIn
from salon.lib import valkey
from salon.lib.ids import new_id
from tests.ai.conftest import new_conversation, send
from tests.helpers import QueryLog, ValkeyLog, create_user

# Database round trips of one message and its reply (``query_log``: statements plus BEGIN/COMMIT): the conversation
# with the owner's tokens today and its replies still streaming, the turn (one statement), the prompt's history, the
# outcome (one statement). It was 13: three reads before the turn, the turn in a transaction of two statements, and
# the outcome in one of three.
SEND_ROUND_TRIPS = 4


async def test_a_message_and_its_reply_cost_four_database_round_trips(
    client: httpx.AsyncClient, standin: GeminiStandIn, query_log: QueryLog
) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice, title="named")  # a named one enqueues no title job
    await send(client, alice, conversation["id"], "warm-up")

    query_log.reset()
    frames = await send(client, alice, conversation["id"], "How much does this cost?")

    assert frames[-1].event == "ai_complete"
    assert query_log.count <= SEND_ROUND_TRIPS, str(query_log)


async def test_the_saved_writes_still_happen(client: httpx.AsyncClient, standin: GeminiStandIn) -> None:
    alice = await create_user(client, "alice")
    first = await new_conversation(client, alice, title="first")
    second = await new_conversation(client, alice, title="second")

    frames = await send(client, alice, first["id"], "Bring this conversation to the top.")

    start, complete = frames[0].data, frames[-1].data["message"]
    listed = (await client.get("/api/v1/ai/conversations", headers=alice.headers)).json()["items"]
    assert [item["id"] for item in listed] == [first["id"], second["id"]]  # its activity time moved
    assert listed[0]["updated_at"] >= complete["completed_at"]
    assert listed[0]["message_count"] == 2
    messages = (await client.get(f"/api/v1/ai/conversations/{first['id']}/messages", headers=alice.headers)).json()[
        "items"
    ]
    assert messages == [start["user_message"], complete]  # the user's row as the start frame described it
    usage = (await client.get("/api/v1/ai/usage", headers=alice.headers)).json()
    assert (usage["total_tokens"], usage["requests"]) == (complete["usage"]["total_tokens"], 1)


async def test_a_message_to_a_conversation_of_someone_else_is_404_and_writes_nothing(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice, mallory = await create_user(client, "alice"), await create_user(client, "mallory")
    conversation = await new_conversation(client, alice)

    response = await client.post(
        f"/api/v1/ai/conversations/{conversation['id']}/messages", json={"content": "hi"}, headers=mallory.headers
    )

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    again = (await client.get(f"/api/v1/ai/conversations/{conversation['id']}", headers=alice.headers)).json()
    assert again["message_count"] == 0


async def test_a_burst_of_chunks_goes_to_valkey_in_one_round_trip(
    client: httpx.AsyncClient, standin: GeminiStandIn, valkey_log: ValkeyLog
) -> None:
    message_id = str(new_id())
    writer = streams.FrameWriter(message_id, after="0-0")

    with valkey_log.measuring():
        for index in range(10):  # as the SDK yields chunks it had already received: no await in between
            writer.write("ai_chunk", schemas.AiChunk(delta=f"{index} ", index=index))
        await writer.drain()

    assert valkey_log.trips == [(0, ["XADD"] * 10)]
    assert await _chunk_indexes(message_id) == list(range(10))


async def test_chunks_written_while_a_write_is_in_flight_go_together_in_the_next(
    client: httpx.AsyncClient, standin: GeminiStandIn, valkey_log: ValkeyLog
) -> None:
    message_id = str(new_id())
    writer = streams.FrameWriter(message_id, after="0-0")

    with valkey_log.measuring():
        writer.write("ai_chunk", schemas.AiChunk(delta="a", index=0))
        while not valkey_log.trips:  # the first write is on its way
            await asyncio.sleep(0)
        for index in range(1, 5):
            writer.write("ai_chunk", schemas.AiChunk(delta="b", index=index))
        await writer.drain()

    assert [names for _, names in valkey_log.trips] == [["XADD"], ["XADD"] * 4]
    assert await _chunk_indexes(message_id) == [0, 1, 2, 3, 4]


async def test_the_chunks_of_many_replies_written_at_once_share_one_round_trip(
    client: httpx.AsyncClient, standin: GeminiStandIn, valkey_log: ValkeyLog
) -> None:
    # A round trip (and a pooled connection) per reply's write exhausted the pool at 2,000 concurrent replies.
    writers = [streams.FrameWriter(str(new_id()), after="0-0") for _ in range(20)]

    with valkey_log.measuring():
        for writer in writers:
            writer.write("ai_chunk", schemas.AiChunk(delta="hi", index=0))
        await asyncio.gather(*(writer.drain() for writer in writers))

    assert valkey_log.trips == [(0, ["XADD"] * 20)]
    for writer in writers:
        assert await _chunk_indexes(writer.message_id) == [0]


async def test_a_reply_frees_its_conversation_and_ends_its_stream_in_one_round_trip(
    client: httpx.AsyncClient, standin: GeminiStandIn, valkey_log: ValkeyLog
) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice, title="named")

    with valkey_log.measuring():
        frames = await send(client, alice, conversation["id"], "hello")

    assert frames[-1].event == "ai_complete"
    assert valkey_log.trips[-1][1] == ["EVAL", "XADD", "EXPIRE"]  # the release first, then the terminal frame
    again = await send(client, alice, conversation["id"], "and again")  # the conversation is free at once
    assert again[-1].event == "ai_complete"


async def _chunk_indexes(message_id: str) -> list[int]:
    """The ``index`` of each chunk in the reply's stream, in stream order."""
    entries = await valkey.client().xrange(streams.stream_key(message_id))
    return [msgspec.json.decode(fields["data"])["index"] for _, fields in entries]


async def test_a_failed_chunk_write_stops_the_writer_and_says_why(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    message_id = str(new_id())
    await valkey.client().set(streams.stream_key(message_id), "not a stream")  # XADD answers WRONGTYPE
    writer = streams.FrameWriter(message_id, after="0-0")

    writer.write("ai_chunk", schemas.AiChunk(delta="lost", index=0))
    with pytest.raises(Exception, match="WRONGTYPE"):
        await writer.drain()
    with pytest.raises(Exception, match="WRONGTYPE"):
        writer.write("ai_chunk", schemas.AiChunk(delta="after", index=1))
