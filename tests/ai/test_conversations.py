from __future__ import annotations

import uuid

import httpx
import msgspec

from salon.ai import context, quota
from salon.ai.jobs import roll_context_summary, title_conversation
from salon.ai.provider import Usage
from salon.ai.standin import Answer, GeminiStandIn
from salon.ai.tables import Conversation
from salon.lib import valkey as valkey_client
from salon.lib.events import user_log_key
from salon.settings import Settings
from tests.ai.conftest import new_conversation, send
from tests.helpers import create_user

API = "/api/v1/ai/conversations"


async def test_create_list_update_delete(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    first = await new_conversation(client, alice, title="Trip planning")
    second = await new_conversation(client, alice, kind="coach")
    assert (first["title"], first["kind"], first["message_count"], first["forked_from"]) == (
        "Trip planning", "chat", 0, None,
    )  # fmt: skip

    listed = (await client.get(API, params={"limit": 1}, headers=alice.headers)).json()
    rest = (await client.get(API, params={"cursor": listed["next_cursor"]}, headers=alice.headers)).json()
    assert [c["id"] for c in listed["items"] + rest["items"]] == [second["id"], first["id"]]
    assert rest["next_cursor"] is None

    patched = await client.patch(
        f"{API}/{first['id']}", json={"title": "Lisbon", "system_prompt": "Be terse."}, headers=alice.headers
    )
    assert patched.status_code == 200
    assert (patched.json()["title"], patched.json()["system_prompt"]) == ("Lisbon", "Be terse.")
    assert (await client.delete(f"{API}/{first['id']}", headers=alice.headers)).status_code == 204
    assert (await client.get(f"{API}/{first['id']}", headers=alice.headers)).status_code == 404


async def test_invalid_input_is_a_problem_not_a_500(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    bad_kind = await client.post(API, json={"kind": "oracle"}, headers=alice.headers)
    conversation = await new_conversation(client, alice)
    empty = await client.post(f"{API}/{conversation['id']}/messages", json={"content": ""}, headers=alice.headers)
    bad_cursor = await client.get(f"{API}/{conversation['id']}/messages?cursor=xyz", headers=alice.headers)
    bad_id = await client.get(f"{API}/not-an-id", headers=alice.headers)
    anonymous = await client.get(API)

    assert [r.status_code for r in (bad_kind, empty, bad_cursor, bad_id, anonymous)] == [400, 400, 400, 404, 401]
    assert all(r.headers["content-type"].startswith("application/problem+json") for r in (bad_kind, empty))


async def test_a_stranger_cannot_read_or_touch_a_private_conversation(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice = await create_user(client, "alice")
    mallory = await create_user(client, "mallory")
    conversation = await new_conversation(client, alice, title="Private")
    frames = await send(client, alice, conversation["id"], "secret")
    reply_id = frames[0].data["ai_message_id"]
    base = f"{API}/{conversation['id']}"

    attempts = [
        await client.get(base, headers=mallory.headers),
        await client.get(f"{base}/messages", headers=mallory.headers),
        await client.patch(base, json={"title": "mine"}, headers=mallory.headers),
        await client.delete(base, headers=mallory.headers),
        await client.post(f"{base}/messages", json={"content": "hi"}, headers=mallory.headers),
        await client.get(f"{base}/messages/{reply_id}/stream", headers=mallory.headers),
        await client.post(f"{base}/messages/{reply_id}/stop", headers=mallory.headers),
        await client.post(f"{base}/fork", json={"message_id": reply_id}, headers=mallory.headers),
        await client.get(f"{base}/summaries", headers=mallory.headers),
        await client.post(f"{base}/summaries", headers=mallory.headers),
    ]

    assert [r.status_code for r in attempts] == [404] * len(attempts)
    assert (await client.get(API, headers=mallory.headers)).json()["items"] == []
    assert (await client.get(base, headers=alice.headers)).json()["title"] == "Private"


async def test_fork_copies_exactly_the_messages_up_to_the_chosen_one(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice, title="Origin", system_prompt="Be kind.")
    first = await send(client, alice, conversation["id"], "one")
    await send(client, alice, conversation["id"], "two")
    chosen = first[-1].data["message"]

    response = await client.post(
        f"{API}/{conversation['id']}/fork", json={"message_id": chosen["id"]}, headers=alice.headers
    )

    assert response.status_code == 201, response.text
    fork = response.json()
    assert fork["forked_from"] == {"conversation_id": conversation["id"], "message_id": chosen["id"], "post_id": None}
    assert (fork["title"], fork["system_prompt"], fork["message_count"]) == ("Origin", "Be kind.", 2)
    original = await messages(client, alice, conversation["id"])
    copied = await messages(client, alice, fork["id"])
    assert [(m["seq"], m["role"], m["content"], m["status"]) for m in copied] == [
        (m["seq"], m["role"], m["content"], m["status"]) for m in original[:2]
    ]
    assert {m["id"] for m in copied}.isdisjoint(m["id"] for m in original)
    # copy-on-fork: continuing or deleting one side never touches the other
    await send(client, alice, fork["id"], "three in the fork")
    assert len(await messages(client, alice, conversation["id"])) == 4
    await client.delete(f"{API}/{conversation['id']}", headers=alice.headers)
    assert [m["seq"] for m in await messages(client, alice, fork["id"])] == [1, 2, 3, 4]


async def test_fork_of_an_unknown_message_is_404(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    response = await client.post(
        f"{API}/{conversation['id']}/fork", json={"message_id": str(uuid.uuid4())}, headers=alice.headers
    )
    assert response.status_code == 404


async def test_summaries_are_written_by_the_model_and_listed(client: httpx.AsyncClient, standin: GeminiStandIn) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    nothing = await client.post(f"{API}/{conversation['id']}/summaries", headers=alice.headers)
    await send(client, alice, conversation["id"], "Let us talk about tides.")
    standin.script(Answer(text="A chat about tides."))

    created = await client.post(f"{API}/{conversation['id']}/summaries", headers=alice.headers)

    assert nothing.status_code == 422
    assert created.status_code == 201, created.text
    assert (created.json()["content"], created.json()["up_to_seq"]) == ("A chat about tides.", 2)
    assert "tides" in standin.requests[-1].texts()[0]
    listed = (await client.get(f"{API}/{conversation['id']}/summaries", headers=alice.headers)).json()
    assert [s["id"] for s in listed["items"]] == [created.json()["id"]]
    standin.script(*[Answer(status=500)] * 4)
    failed = await client.post(f"{API}/{conversation['id']}/summaries", headers=alice.headers)
    assert failed.status_code == 503
    assert failed.json()["code"] == "provider_unavailable"


async def test_title_job_names_the_conversation_and_tells_the_owner(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice = await create_user(client, "alice")
    untitled = await new_conversation(client, alice)
    titled = await new_conversation(client, alice, title="Mine")
    await send(client, alice, untitled["id"], "How do tides work?")
    await send(client, alice, titled["id"], "How do tides work?")
    standin.script(Answer(text='"Tides explained."'))

    await title_conversation({}, conversation_id=untitled["id"])
    await title_conversation({}, conversation_id=titled["id"])

    assert (await client.get(f"{API}/{untitled['id']}", headers=alice.headers)).json()["title"] == "Tides explained"
    assert (await client.get(f"{API}/{titled['id']}", headers=alice.headers)).json()["title"] == "Mine"
    assert "How do tides work?" in standin.requests[-1].texts()[0]
    log = await valkey_client.client().xrange(user_log_key(alice.id))
    titled_events = [msgspec.json.decode(f["data"]) for _, f in log if f["event"] == "ai.conversation_titled"]
    assert titled_events == [{"conversation_id": untitled["id"], "title": "Tides explained"}]


async def test_long_history_is_replaced_by_a_rolling_summary(
    client: httpx.AsyncClient, standin: GeminiStandIn, settings: Settings
) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    for word in ("alpha", "bravo", "charlie", "delta"):
        await send(client, alice, conversation["id"], f"{word} " * 40)
    row = await Conversation.select().where(Conversation.id == uuid.UUID(conversation["id"])).first()
    budget = 100  # tokens: about two turns of this conversation
    prompt = await context.build_prompt(row, row["message_count"] + 1, budget, settings.ai_context_max_turns)
    assert prompt.overflow
    assert "alpha" not in " ".join(t.text for t in prompt.turns)

    standin.script(Answer(text="They said alpha and bravo."))
    assert await context.roll_summary(row["id"], budget, settings.ai_context_max_turns)
    row = await Conversation.select().where(Conversation.id == row["id"]).first()

    assert row["context_summary"] == "They said alpha and bravo."
    prompt = await context.build_prompt(row, row["message_count"] + 1, budget, settings.ai_context_max_turns)
    assert "They said alpha and bravo." in prompt.turns[0].text
    assert "delta" in prompt.turns[-1].text
    assert all(t.text.count("alpha") == 0 for t in prompt.turns[2:])
    await roll_context_summary({}, conversation_id=conversation["id"])  # the job is safe to run again


async def test_many_short_turns_are_bounded_by_the_turn_limit_too(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    for number in range(1, 6):
        await send(client, alice, conversation["id"], f"message {number}")
    row = await Conversation.select().where(Conversation.id == uuid.UUID(conversation["id"])).first()
    budget = 100_000  # tokens: every turn fits

    prompt = await context.build_prompt(row, row["message_count"] + 1, budget, max_turns=4)
    assert prompt.overflow
    assert [turn.role for turn in prompt.turns] == ["user", "model", "user", "model"]
    assert prompt.turns[0].text == "message 4"
    unbounded = await context.build_prompt(row, row["message_count"] + 1, budget, max_turns=10)
    assert not unbounded.overflow
    assert len(unbounded.turns) == 10

    standin.script(Answer(text="Messages 1 to 4."))
    assert await context.roll_summary(row["id"], budget, max_turns=4)  # keeps half: the newest 2 turns
    row = await Conversation.select().where(Conversation.id == row["id"]).first()
    assert "message 4" in standin.requests[-1].texts()[0]
    assert "message 5" not in standin.requests[-1].texts()[0]
    prompt = await context.build_prompt(row, row["message_count"] + 1, budget, max_turns=4)
    assert not prompt.overflow
    assert [turn.text for turn in prompt.turns[:1]] == ["(Summary of our conversation so far)\nMessages 1 to 4."]
    assert prompt.turns[2].text == "message 5"


async def test_daily_quota_answers_429_with_the_reset_time(
    client: httpx.AsyncClient, standin: GeminiStandIn, settings: Settings
) -> None:
    alice = await create_user(client, "alice")
    conversation = await new_conversation(client, alice)
    frames = await send(client, alice, conversation["id"], "hello")
    used = frames[-1].data["message"]["usage"]["total_tokens"]
    usage = (await client.get("/api/v1/ai/usage", headers=alice.headers)).json()
    assert (usage["total_tokens"], usage["requests"], usage["token_budget"]) == (
        used,
        1,
        settings.ai_daily_token_budget,
    )

    await quota.record(alice.id, Usage(total_tokens=settings.ai_daily_token_budget))
    refused = await client.post(f"{API}/{conversation['id']}/messages", json={"content": "more"}, headers=alice.headers)

    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "ai_quota_exceeded"
    assert body["resets_at"] == (await client.get("/api/v1/ai/usage", headers=alice.headers)).json()["resets_at"]
    assert 0 < int(refused.headers["Retry-After"]) <= 86400
    bob = await create_user(client, "bob")  # budgets are per user
    bobs = await new_conversation(client, bob)
    assert (await send(client, bob, bobs["id"], "hi"))[-1].event == "ai_complete"


async def messages(client: httpx.AsyncClient, user: object, conversation_id: str) -> list[dict]:
    response = await client.get(f"{API}/{conversation_id}/messages", headers=user.headers)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return response.json()["items"]
