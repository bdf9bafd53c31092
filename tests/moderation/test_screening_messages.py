"""Screening of chat messages to strangers: only messages that reach someone who neither follows the sender nor is
their friend are screened; a held message is withdrawn from the other members and shown to its sender with the
notice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from salon.ai.standin import Answer, GeminiStandIn
from salon.moderation.jobs import screen_message
from salon.settings import get_settings
from tests.chat.conftest import CHATS, direct_chat, group_chat, sent
from tests.chat.test_media import image, send_with_media, visible
from tests.helpers import TestUser, create_user
from tests.moderation.conftest import UNSAFE, events_of, make_moderator


async def history(client: httpx.AsyncClient, user: TestUser, chat_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{CHATS}/{chat_id}/messages", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def queue(client: httpx.AsyncClient, moderator: TestUser) -> list[dict[str, Any]]:
    return (await client.get("/api/v1/moderation/queue", headers=moderator.headers)).json()["items"]  # type: ignore[no-any-return]


async def follow(client: httpx.AsyncClient, follower: TestUser, followee: TestUser) -> None:
    response = await client.post(f"/api/v1/users/{followee.username}/follow", headers=follower.headers)
    assert response.status_code == 200, response.text


async def befriend(client: httpx.AsyncClient, a: TestUser, b: TestUser) -> None:
    request = await client.post("/api/v1/friends/requests", json={"username": b.username}, headers=a.headers)
    accepted = await client.post(f"/api/v1/friends/requests/{request.json()['id']}/accept", headers=b.headers)
    assert accepted.status_code == 200, accepted.text


@pytest.fixture
def word_list(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The worker's settings send texts with "crypto giveaway" to review."""
    monkeypatch.setenv("SALON_MODERATION_WORD_LIST", "crypto giveaway")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("SALON_MODERATION_WORD_LIST")
    get_settings.cache_clear()


async def test_a_flagged_message_to_a_stranger_is_withdrawn_from_the_recipient_and_removed(
    client: httpx.AsyncClient, standin: GeminiStandIn, run_jobs: Any
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    chat = await direct_chat(client, alice, bob)
    earlier = await sent(client, alice, chat["id"], "hi bob")
    await run_jobs()
    standin.script(Answer(text=UNSAFE))

    flagged = await sent(client, alice, chat["id"], "you are worthless")
    assert (await history(client, bob, chat["id"]))[0]["id"] == flagged["id"]  # delivered before screening
    await run_jobs()  # chat.message_created -> bob is a stranger to alice -> screen_message -> the model

    assert len(standin.requests) == 2
    assert "private chat message" in standin.requests[-1].body["systemInstruction"]["parts"][0]["text"]
    assert [m["id"] for m in await history(client, bob, chat["id"])] == [earlier["id"]]
    bob_chat = (await client.get(f"{CHATS}/{chat['id']}", headers=bob.headers)).json()
    assert (bob_chat["last_message"]["id"], bob_chat["unread_count"]) == (earlier["id"], 1)
    listed = (await client.get(CHATS, headers=bob.headers)).json()["items"]
    assert listed[0]["last_message"]["id"] == earlier["id"]
    receipts = await client.get(f"{CHATS}/{chat['id']}/messages/{flagged['id']}/receipts", headers=bob.headers)
    assert receipts.status_code == 404
    assert (await client.get(f"{CHATS}/unread", headers=bob.headers)).json()["unread_count"] == 1
    [hidden] = await events_of(bob, "message_hidden")
    assert (hidden["chat_id"], hidden["message_id"]) == (chat["id"], flagged["id"])
    assert await events_of(alice, "message_hidden") == []

    own = await history(client, alice, chat["id"])
    assert [m["id"] for m in own] == [flagged["id"], earlier["id"]]
    assert "moderator reviews" in own[0]["moderation_notice"]
    assert own[1]["moderation_notice"] is None
    alice_chat = (await client.get(f"{CHATS}/{chat['id']}", headers=alice.headers)).json()
    assert alice_chat["last_message"]["id"] == flagged["id"]

    [entry] = await queue(client, moderator)
    assert (entry["subject_type"], entry["subject_id"], entry["author_id"], entry["hidden"], entry["content"]) == (
        "message", flagged["id"], alice.id, True, "you are worthless"
    )  # fmt: skip
    decided = await client.post(
        f"/api/v1/moderation/items/{entry['items'][0]['id']}/decision",
        json={"action": "remove", "note": "Be kind to strangers."},
        headers=moderator.headers,
    )
    assert decided.status_code == 201, decided.text
    tombstone = (await history(client, alice, chat["id"]))[0]
    assert (tombstone["id"], tombstone["deleted"], tombstone["content"]) == (flagged["id"], True, "")
    assert [m["id"] for m in await history(client, bob, chat["id"])] == [flagged["id"], earlier["id"]]
    assert (await history(client, bob, chat["id"]))[0]["deleted"] is True
    audit = (await client.get("/api/v1/moderation/audit", headers=moderator.headers)).json()["items"]
    assert [(e["action"], e["subject_type"], e["subject_id"], e["author_id"]) for e in audit] == [
        ("remove", "message", flagged["id"], alice.id)
    ]


async def test_messages_to_followers_and_friends_are_not_screened(
    client: httpx.AsyncClient, standin: GeminiStandIn, run_jobs: Any
) -> None:
    alice, bob, carol, dave = [await create_user(client, name) for name in ("alice", "bob", "carol", "dave")]
    moderator = await make_moderator(client)
    await follow(client, bob, alice)  # bob chose to hear from alice
    await befriend(client, alice, carol)
    await follow(client, alice, dave)  # alice following dave does not make her known to dave
    standin.script(*[Answer(text=UNSAFE)] * 3)

    with_follower = await direct_chat(client, alice, bob)
    with_friend = await direct_chat(client, alice, carol)
    known_group = await group_chat(client, alice, bob, carol, name="Known")
    for n, chat in enumerate((with_follower, with_friend, known_group)):
        await sent(client, alice, chat["id"], f"you are worthless ({n})")
    await run_jobs()

    assert not standin.requests
    assert await queue(client, moderator) == []

    mixed_group = await group_chat(client, alice, bob, dave, name="Mixed")  # dave is a stranger to alice
    await sent(client, alice, mixed_group["id"], "you are all worthless")
    await run_jobs()

    assert len(standin.requests) == 1
    assert [entry["subject_type"] for entry in await queue(client, moderator)] == ["message"]
    assert (await history(client, bob, mixed_group["id"]))[0]["kind"] == "system"  # hidden from every other member


async def test_a_word_list_hit_hides_a_message_to_a_stranger_without_asking_the_model(
    client: httpx.AsyncClient, standin: GeminiStandIn, run_jobs: Any, word_list: None
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    chat = await direct_chat(client, alice, bob)

    spam = await sent(client, alice, chat["id"], "Join my Crypto Giveaway today")
    await run_jobs()

    assert not standin.requests
    assert await history(client, bob, chat["id"]) == []
    assert [m["id"] for m in await history(client, alice, chat["id"])] == [spam["id"]]
    [entry] = await queue(client, moderator)
    assert (entry["subject_id"], entry["hidden"]) == (spam["id"], True)
    assert entry["items"][0]["source"] == "local"
    assert "crypto giveaway" in entry["items"][0]["reason"]


async def test_a_held_message_stays_with_its_sender_when_edited_and_returns_when_approved(
    client: httpx.AsyncClient, standin: GeminiStandIn, run_jobs: Any
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    chat = await direct_chat(client, alice, bob)
    standin.script(Answer(text=UNSAFE))
    flagged = await sent(client, alice, chat["id"], "rude words")
    await run_jobs()

    edited = await client.patch(
        f"{CHATS}/{chat['id']}/messages/{flagged['id']}", json={"content": "still rude"}, headers=alice.headers
    )
    reply = await client.post(
        f"{CHATS}/{chat['id']}/messages", json={"content": "what?", "reply_to_id": flagged["id"]}, headers=bob.headers
    )

    assert edited.status_code == 200, edited.text
    assert edited.json()["moderation_notice"] is not None
    assert await events_of(bob, "message_edited") == []
    assert [e["message"]["id"] for e in await events_of(alice, "message_edited")] == [flagged["id"]]
    assert reply.status_code == 422
    [entry] = await queue(client, moderator)
    approved = await client.post(
        f"/api/v1/moderation/items/{entry['items'][0]['id']}/decision",
        json={"action": "approve"},
        headers=moderator.headers,
    )
    assert approved.status_code == 201
    [shown] = await history(client, bob, chat["id"])
    assert (shown["id"], shown["content"], shown["moderation_notice"]) == (flagged["id"], "still rude", None)


async def test_the_image_of_a_held_message_is_hidden_from_the_other_members(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await direct_chat(client, alice, bob)
    media_id = await image(client, alice)
    message = (await send_with_media(client, alice, chat["id"], [media_id])).json()
    assert await visible(client, media_id, bob)
    standin.script(Answer(text=UNSAFE))

    await screen_message({}, message_id=message["id"])

    assert not await visible(client, media_id, bob)
    assert await visible(client, media_id, alice)
