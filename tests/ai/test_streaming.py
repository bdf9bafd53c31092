from __future__ import annotations

import httpx

from salon.ai.standin import GeminiStandIn
from tests.ai.conftest import new_conversation, send
from tests.helpers import create_user


async def test_chunks_arrive_in_order_and_complete_holds_their_concatenation(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice, system_prompt="Answer briefly.")

    frames = await send(client, alice, conversation["id"], "What is a salon?")

    assert [f.event for f in frames] == ["ai_start", "ai_chunk", "ai_chunk", "ai_chunk", "ai_chunk", "ai_complete"]
    assert all(f.id for f in frames)
    start, chunks, complete = frames[0].data, [f.data for f in frames[1:-1]], frames[-1].data
    assert start["user_message"]["content"] == "What is a salon?"
    assert start["user_message"]["seq"] == 1
    assert [c["index"] for c in chunks] == [0, 1, 2, 3]
    message = complete["message"]
    assert message["id"] == start["ai_message_id"]
    assert message["content"] == "".join(c["delta"] for c in chunks)
    assert message["status"] == "complete"
    assert message["seq"] == 2
    assert message["usage"]["total_tokens"] > 0
    assert standin.requests[-1].system_instruction == "Answer briefly."
