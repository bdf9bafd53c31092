from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import msgspec

from salon.ai import schemas, services, streams
from salon.ai.provider import GeminiProvider, use_provider
from salon.ai.standin import Answer, GeminiStandIn
from salon.lib.ids import new_id
from salon.settings import Settings
from tests.ai.conftest import new_conversation, parse_sse, send
from tests.conftest import wait_for
from tests.helpers import TestUser, create_user


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


async def test_second_turn_request_contains_the_first_turn(client: httpx.AsyncClient, standin: GeminiStandIn) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    first = await send(client, alice, conversation["id"], "Remember the word aubergine.")
    first_reply = first[-1].data["message"]["content"]

    await send(client, alice, conversation["id"], "Which word?")

    request = standin.requests[-1]
    assert [turn["role"] for turn in request.body["contents"]] == ["user", "model", "user"]
    assert request.texts() == ["Remember the word aubergine.", first_reply, "Which word?"]
    messages = (
        await client.get(f"/api/v1/ai/conversations/{conversation['id']}/messages", headers=alice.headers)
    ).json()["items"]
    assert [(m["seq"], m["role"], m["status"]) for m in messages] == [
        (1, "user", "complete"), (2, "model", "complete"), (3, "user", "complete"), (4, "model", "complete"),
    ]  # fmt: skip


async def test_transient_failure_before_the_first_token_is_retried(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    standin.script(Answer(status=503), Answer(status=429))

    frames = await send(client, alice, conversation["id"], "hello")

    assert frames[-1].event == "ai_complete"
    assert len(standin.requests) == 3


async def test_provider_429_before_any_token_ends_in_an_error_and_a_failed_message(
    client: httpx.AsyncClient, standin: GeminiStandIn, settings: Settings
) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    standin.script(*[Answer(status=429)] * (settings.ai_provider_retries + 1))

    frames = await send(client, alice, conversation["id"], "hello")

    assert [f.event for f in frames] == ["ai_start", "error"]
    error = frames[-1].data
    assert error["code"] == "provider_rate_limited"
    assert error["retryable"] is True
    stored = await message(client, alice, conversation["id"], error["message_id"])
    assert stored["status"] == "failed"
    assert stored["content"] == ""
    assert stored["error"]["code"] == "provider_rate_limited"
    # the conversation stays usable
    again = await send(client, alice, conversation["id"], "hello again")
    assert again[-1].event == "ai_complete"


async def test_provider_500_mid_stream_keeps_what_arrived(client: httpx.AsyncClient, standin: GeminiStandIn) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    standin.script(Answer(chunks=5, fail_after=2))

    frames = await send(client, alice, conversation["id"], "tell me a story")

    assert [f.event for f in frames] == ["ai_start", "ai_chunk", "ai_chunk", "error"]
    assert frames[-1].data["code"] == "provider_unavailable"
    assert len(standin.requests) == 1  # no retry once text has reached the user
    stored = await message(client, alice, conversation["id"], frames[-1].data["message_id"])
    assert stored["status"] == "failed"
    assert stored["content"] == frames[1].data["delta"] + frames[2].data["delta"]


async def test_a_model_that_hangs_mid_reply_fails_it_with_provider_timeout_and_keeps_what_arrived(
    client: httpx.AsyncClient, standin: GeminiStandIn, settings: Settings
) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    impatient = GeminiProvider(
        msgspec.structs.replace(
            settings, gemini_api_key="test-key", gemini_base_url=standin.base_url, ai_provider_timeout_seconds=0.5
        )
    )
    previous = await use_provider(impatient)
    standin.script(Answer(chunks=5, stall_after=2))
    try:
        frames = await send(client, alice, conversation["id"], "tell me a story")
    finally:
        await use_provider(previous)
        await impatient.close()

    assert [f.event for f in frames] == ["ai_start", "ai_chunk", "ai_chunk", "error"]
    assert frames[-1].data["code"] == "provider_timeout"
    stored = await message(client, alice, conversation["id"], frames[-1].data["message_id"])
    assert stored["status"] == "failed"
    assert stored["content"] == frames[1].data["delta"] + frames[2].data["delta"]
    again = await send(client, alice, conversation["id"], "try again")  # the conversation is free for the next one
    assert again[-1].event == "ai_complete"


async def test_stop_keeps_the_partial_text(client: httpx.AsyncClient, standin: GeminiStandIn) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    standin.script(Answer(chunks=20, delay=0.1))
    sending = asyncio.create_task(
        client.post(
            f"/api/v1/ai/conversations/{conversation['id']}/messages", json={"content": "go"}, headers=alice.headers
        )
    )
    message_id = await wait_for(lambda: generating(client, alice, conversation["id"]))
    await wait_for(lambda: chunk_count(message_id, at_least=2))

    stopped = await client.post(
        f"/api/v1/ai/conversations/{conversation['id']}/messages/{message_id}/stop", headers=alice.headers
    )

    assert stopped.status_code == 200, stopped.text
    body = stopped.json()
    assert body["status"] == "stopped"
    frames = parse_sse((await sending).text)
    deltas = [f.data["delta"] for f in frames if f.event == "ai_chunk"]
    assert 2 <= len(deltas) < 20
    assert body["content"] == "".join(deltas)
    assert frames[-1].event == "ai_complete"
    assert frames[-1].data["message"]["status"] == "stopped"
    assert (await message(client, alice, conversation["id"], message_id))["content"] == body["content"]


async def test_one_generation_per_conversation(client: httpx.AsyncClient, standin: GeminiStandIn) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    standin.script(Answer(chunks=10, delay=0.05))
    url = f"/api/v1/ai/conversations/{conversation['id']}/messages"
    sending = asyncio.create_task(client.post(url, json={"content": "one"}, headers=alice.headers))
    message_id = await wait_for(lambda: generating(client, alice, conversation["id"]))

    second = await client.post(url, json={"content": "two"}, headers=alice.headers)

    assert second.status_code == 409
    assert second.headers["content-type"].startswith("application/problem+json")
    assert second.json()["generating_message_id"] == message_id
    assert (await sending).status_code == 200
    assert (await client.post(url, json={"content": "three"}, headers=alice.headers)).status_code == 200


async def test_a_reply_whose_process_died_is_marked_failed_with_its_partial_text(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    # What a process that died after two chunks leaves behind: a streaming message, two chunks, no live lock.
    ai_id = new_id()
    await services.store_turn(uuid.UUID(conversation["id"]), ai_id, "hello")
    await streams.append(str(ai_id), "ai_chunk", schemas.AiChunk(delta="Half a ", index=0))
    await streams.append(str(ai_id), "ai_chunk", schemas.AiChunk(delta="thought", index=1))

    response = await client.get(
        f"/api/v1/ai/conversations/{conversation['id']}/messages/{ai_id}/stream", headers=alice.headers
    )
    frames = parse_sse(response.text)

    assert [f.event for f in frames] == ["ai_chunk", "ai_chunk", "error"]
    assert frames[-1].data["code"] == "generation_lost"
    stored = await message(client, alice, conversation["id"], str(ai_id))
    assert (stored["status"], stored["content"]) == ("failed", "Half a thought")


async def test_reattach_to_a_finished_reply_replays_it_or_resumes_after_last_event_id(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    frames = await send(client, alice, conversation["id"], "hello")
    url = f"/api/v1/ai/conversations/{conversation['id']}/messages/{frames[0].data['ai_message_id']}/stream"

    replay = parse_sse((await client.get(url, headers=alice.headers)).text)
    resumed = parse_sse((await client.get(url, headers={**alice.headers, "Last-Event-ID": frames[2].id})).text)
    bad = await client.get(url, headers={**alice.headers, "Last-Event-ID": "nonsense"})

    assert [(f.id, f.event) for f in replay] == [(f.id, f.event) for f in frames]
    assert [f.id for f in resumed] == [f.id for f in frames[3:]]
    assert bad.status_code == 400


async def test_reattach_at_a_finished_replys_last_frame_is_204_not_an_endless_stream(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    """A client holding every frame (an EventSource reconnecting after the final one) used to get a stream of
    heartbeats that never ended. 204 tells it there is nothing more, and an EventSource stops reconnecting."""
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    frames = await send(client, alice, conversation["id"], "hello")
    url = f"/api/v1/ai/conversations/{conversation['id']}/messages/{frames[0].data['ai_message_id']}/stream"

    async with asyncio.timeout(5):
        at_end = await client.get(url, headers={**alice.headers, "Last-Event-ID": frames[-1].id})
        before_end = await client.get(url, params={"last_event_id": frames[-2].id}, headers=alice.headers)

    assert frames[-1].event == "ai_complete"
    assert (at_end.status_code, at_end.content) == (204, b"")
    assert [f.event for f in parse_sse(before_end.text)] == ["ai_complete"]


async def test_offline_model_answers_without_an_api_key(client: httpx.AsyncClient, settings: Settings) -> None:
    assert not settings.gemini_api_key
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)

    frames = await send(client, alice, conversation["id"], "Is anyone there?")

    assert frames[-1].event == "ai_complete"
    reply = frames[-1].data["message"]["content"]
    assert "running without GEMINI_API_KEY" in reply
    assert "Is anyone there?" in reply
    assert len([f for f in frames if f.event == "ai_chunk"]) > 1


async def message(client: httpx.AsyncClient, user: TestUser, conversation_id: str, message_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/ai/conversations/{conversation_id}/messages", headers=user.headers)
    return next(m for m in response.json()["items"] if m["id"] == message_id)


async def generating(client: httpx.AsyncClient, user: TestUser, conversation_id: str) -> str | None:
    response = await client.get(f"/api/v1/ai/conversations/{conversation_id}", headers=user.headers)
    return response.json()["generating_message_id"]


async def chunk_count(message_id: str, at_least: int) -> bool:
    return len(await streams.chunk_texts(message_id)) >= at_least


async def test_a_reply_produced_here_is_not_declared_lost_when_its_lock_lapses(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    from salon.ai import generation
    from salon.lib import valkey

    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    standin.script(Answer(chunks=2, delay=streams.BLOCK_MS / 1000 + 0.5))  # the reader goes idle between chunks
    sending = asyncio.create_task(send(client, alice, conversation["id"], "take your time"))
    await wait_for(lambda: generating(client, alice, conversation["id"]))
    # As if the watchdog's refreshes came too late under load: the lock lapses while the reply is being written.
    await valkey.client().delete(generation.lock_key(conversation["id"]))

    frames = await sending

    assert [f.event for f in frames][-1] == "ai_complete", frames[-1]
    assert frames[-1].data["message"]["status"] == "complete"


async def test_a_live_reply_takes_its_lapsed_lock_back(client: httpx.AsyncClient, standin: GeminiStandIn) -> None:
    from salon.ai import generation
    from salon.lib import valkey

    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    standin.script(Answer(chunks=2, delay=generation.WATCHDOG_INTERVAL_SECONDS * 3))
    sending = asyncio.create_task(send(client, alice, conversation["id"], "still here"))
    message_id = await wait_for(lambda: generating(client, alice, conversation["id"]))
    lock = generation.lock_key(conversation["id"])
    await valkey.client().delete(lock)

    # Within a watchdog tick the producer holds the conversation again: a second message is refused meanwhile.
    await wait_for(lambda: valkey.client().get(lock), timeout=generation.WATCHDOG_INTERVAL_SECONDS * 2.5)
    assert await valkey.client().get(lock) == message_id
    url = f"/api/v1/ai/conversations/{conversation['id']}/messages"
    assert (await client.post(url, json={"content": "me too"}, headers=alice.headers)).status_code == 409
    assert (await sending)[-1].event == "ai_complete"


async def test_a_late_refresh_never_holds_a_finished_replys_conversation(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    from salon.ai import generation
    from salon.lib import valkey

    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    first = await send(client, alice, conversation["id"], "hello")
    assert first[-1].event == "ai_complete"
    # Under load a watchdog refresh sent just before the reply released its lock reached Valkey after the release, took
    # the "lapsed" lock back, and held the conversation for LOCK_TTL_SECONDS: the next message got a 409 (a quarter of
    # the benchmark's AI sends).
    late = generation.refresh_command(conversation["id"], first[-1].data["message"]["id"])
    assert await valkey.client().eval(*late) == 0

    assert await valkey.client().get(generation.lock_key(conversation["id"])) is None
    assert (await send(client, alice, conversation["id"], "and again"))[-1].event == "ai_complete"
