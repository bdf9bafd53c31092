"""Messages: sending with Idempotency-Key, per-chat sequence, history paging, edit/delete, read state, receipts,
typing, and the events each member's stream gets."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.chat.conftest import CHATS, EventLog, direct_chat, group_chat, send, sent
from tests.helpers import create_user


async def test_send_returns_message_and_delivers_to_both_members(
    client: httpx.AsyncClient, event_log: EventLog
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await direct_chat(client, alice, bob)

    response = await send(client, alice, chat["id"], "  hi bob  ")

    assert response.status_code == 201, response.text
    message = response.json()
    assert message["content"] == "hi bob"
    assert message["kind"] == "text"
    assert message["sender"]["username"] == "alice"
    assert message["seq"] == 1
    delivered = await event_log.of(bob, "message")
    assert [event["message"]["id"] for event in delivered] == [message["id"]]
    assert delivered[0]["chat_id"] == chat["id"]
    assert [event["message"]["id"] for event in await event_log.of(alice, "message")] == [message["id"]]
    bob_chat = (await client.get(f"{CHATS}/{chat['id']}", headers=bob.headers)).json()
    assert bob_chat["unread_count"] == 1
    assert (await client.get(f"{CHATS}/{chat['id']}", headers=alice.headers)).json()["unread_count"] == 0


async def test_content_and_media_validation(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await direct_chat(client, alice, bob)
    url = f"{CHATS}/{chat['id']}/messages"

    empty = await client.post(url, headers=alice.headers, json={"content": "   "})
    long = await client.post(url, headers=alice.headers, json={"content": "x" * 1001})
    media = await client.post(url, headers=alice.headers, json={"content": "look", "media_ids": [str(uuid.uuid4())]})
    bad_reply = await client.post(url, headers=alice.headers, json={"content": "re", "reply_to_id": "nope"})
    unknown = await client.post(url, headers=alice.headers, json={"content": "x", "color": "red"})

    assert empty.status_code == 422
    assert "empty" in empty.json()["detail"]
    assert long.status_code == 422
    assert long.json()["max_length"] == 1000
    assert media.status_code == 422
    assert "not an image you uploaded" in media.json()["detail"]  # media in messages: tests/chat/test_media.py
    assert bad_reply.status_code == 422
    assert bad_reply.json()["field"] == "reply_to_id"
    assert unknown.status_code in (400, 422)
    assert (await client.get(url, headers=alice.headers)).json()["items"] == []


async def test_reply_to_a_message_of_another_chat_is_rejected(client: httpx.AsyncClient) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    with_bob = await direct_chat(client, alice, bob)
    with_carol = await direct_chat(client, alice, carol)
    elsewhere = await sent(client, carol, with_carol["id"])
    here = await sent(client, bob, with_bob["id"])
    url = f"{CHATS}/{with_bob['id']}/messages"

    wrong = await client.post(url, headers=alice.headers, json={"content": "re", "reply_to_id": elsewhere["id"]})
    right = await client.post(url, headers=alice.headers, json={"content": "re", "reply_to_id": here["id"]})

    assert wrong.status_code == 422
    assert right.status_code == 201
    assert right.json()["reply_to_id"] == here["id"]


async def test_retry_with_same_idempotency_key_makes_one_message(
    client: httpx.AsyncClient, event_log: EventLog
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await direct_chat(client, alice, bob)
    key = {"Idempotency-Key": "send-1"}

    first = await send(client, alice, chat["id"], "once", **key)
    retry = await send(client, alice, chat["id"], "once", **key)
    different = await send(client, alice, chat["id"], "something else", **key)

    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert different.status_code == 422
    history = (await client.get(f"{CHATS}/{chat['id']}/messages", headers=bob.headers)).json()["items"]
    assert [message["id"] for message in history] == [first.json()["id"]]
    assert len(await event_log.of(bob, "message")) == 1
    assert (await client.get(f"{CHATS}/{chat['id']}", headers=bob.headers)).json()["unread_count"] == 1


async def test_concurrent_retries_make_one_message(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await direct_chat(client, alice, bob)

    responses = await asyncio.gather(
        *(send(client, alice, chat["id"], "racing", **{"Idempotency-Key": "race"}) for _ in range(8))
    )

    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 1
    assert sum("Idempotent-Replayed" in response.headers for response in responses) == 7
    history = (await client.get(f"{CHATS}/{chat['id']}/messages", headers=alice.headers)).json()["items"]
    assert len(history) == 1


async def test_bad_idempotency_key_is_rejected(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await direct_chat(client, alice, bob)

    response = await send(client, alice, chat["id"], "x", **{"Idempotency-Key": "has spaces"})

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]


async def test_concurrent_sends_get_strictly_increasing_sequence(client: httpx.AsyncClient) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    chat = await group_chat(client, alice, bob, carol)

    responses = await asyncio.gather(
        *(send(client, user, chat["id"], f"m{i}") for i, user in enumerate([alice, bob, carol] * 5))
    )

    seqs = sorted(response.json()["seq"] for response in responses)
    assert seqs == list(range(2, 17))  # seq 1 is the "created" system message
    assert (await client.get(f"{CHATS}/{chat['id']}", headers=alice.headers)).json()["last_seq"] == 16


async def test_history_pages_without_duplicates_while_messages_arrive(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await direct_chat(client, alice, bob)
    originals = [(await sent(client, alice, chat["id"], f"old {i}"))["id"] for i in range(7)]
    url = f"{CHATS}/{chat['id']}/messages"

    seen: list[str] = []
    cursor = None
    for page_number in range(10):
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(url, headers=bob.headers, params=params)).json()
        seen.extend(message["id"] for message in page["items"])
        await sent(client, bob, chat["id"], f"new {page_number}")  # arrives between page fetches
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == list(reversed(originals))
    first_page = (await client.get(url, headers=bob.headers, params={"limit": 2})).json()["items"]
    assert [message["seq"] for message in first_page] == sorted((m["seq"] for m in first_page), reverse=True)
    assert (await client.get(url, headers=bob.headers, params={"cursor": "bogus"})).status_code == 400
    assert (await client.get(url, headers=bob.headers, params={"limit": 101})).status_code == 400


async def test_edit_by_sender_only(client: httpx.AsyncClient, event_log: EventLog) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await direct_chat(client, alice, bob)
    message = await sent(client, alice, chat["id"], "helo")
    url = f"{CHATS}/{chat['id']}/messages/{message['id']}"

    by_bob = await client.patch(url, headers=bob.headers, json={"content": "hacked"})
    edited = await client.patch(url, headers=alice.headers, json={"content": "hello"})
    empty = await client.patch(url, headers=alice.headers, json={"content": ""})
    missing = await client.patch(
        f"{CHATS}/{chat['id']}/messages/{uuid.uuid4()}", headers=alice.headers, json={"content": "x"}
    )

    assert by_bob.status_code == 403
    assert edited.status_code == 200, edited.text
    assert edited.json()["content"] == "hello"
    assert edited.json()["edited_at"] is not None
    assert empty.status_code == 422
    assert missing.status_code == 404
    events = await event_log.of(bob, "message_edited")
    assert [event["message"]["content"] for event in events] == ["hello"]


async def test_delete_for_everyone_leaves_a_tombstone(client: httpx.AsyncClient, event_log: EventLog) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await direct_chat(client, alice, bob)
    message = await sent(client, alice, chat["id"], "oops")
    url = f"{CHATS}/{chat['id']}/messages/{message['id']}"

    by_bob = await client.delete(url, headers=bob.headers)
    deleted = await client.delete(url, headers=alice.headers)
    again = await client.delete(url, headers=alice.headers)
    edit = await client.patch(url, headers=alice.headers, json={"content": "x"})

    assert by_bob.status_code == 403
    assert deleted.status_code == again.status_code == 204
    assert edit.status_code == 409
    history = (await client.get(f"{CHATS}/{chat['id']}/messages", headers=bob.headers)).json()["items"]
    assert history[0]["deleted"] is True
    assert history[0]["content"] == ""
    assert (await client.get(f"{CHATS}/{chat['id']}", headers=bob.headers)).json()["unread_count"] == 0
    events = await event_log.of(bob, "message_deleted")
    assert events == [{"chat_id": chat["id"], "message_id": message["id"], "seq": message["seq"]}]


async def test_read_marker_unread_counts_and_read_event(client: httpx.AsyncClient, event_log: EventLog) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await direct_chat(client, alice, bob)
    first = await sent(client, alice, chat["id"], "one")
    second = await sent(client, alice, chat["id"], "two")
    await sent(client, alice, chat["id"], "three")
    url = f"{CHATS}/{chat['id']}/read"

    partial = await client.post(url, headers=bob.headers, json={"up_to_id": second["id"]})
    backwards = await client.post(url, headers=bob.headers, json={"up_to_id": first["id"]})
    unknown = await client.post(url, headers=bob.headers, json={"up_to_id": str(uuid.uuid4())})

    assert partial.status_code == 200, partial.text
    assert partial.json() == {"chat_id": chat["id"], "last_read_seq": second["seq"], "unread_count": 1}
    assert backwards.json()["last_read_seq"] == second["seq"]  # a marker never moves back
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "up_to_id"
    reads = await event_log.of(alice, "read")
    assert len(reads) == 1  # moving back announced nothing
    assert reads[0]["user_id"] == bob.id
    assert reads[0]["up_to_id"] == second["id"]
    assert reads[0]["up_to_seq"] == second["seq"]
    assert (await client.get(f"{CHATS}/unread", headers=bob.headers)).json() == {"unread_count": 1, "unread_chats": 1}


async def test_sending_marks_what_came_before_as_read(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await direct_chat(client, alice, bob)
    await sent(client, alice, chat["id"], "question?")

    await sent(client, bob, chat["id"], "answer")

    assert (await client.get(f"{CHATS}/{chat['id']}", headers=bob.headers)).json()["unread_count"] == 0
    assert (await client.get(f"{CHATS}/{chat['id']}", headers=alice.headers)).json()["unread_count"] == 1


async def test_group_receipts(client: httpx.AsyncClient) -> None:
    alice, bob, carol, dave = [await create_user(client, name) for name in ("alice", "bob", "carol", "dave")]
    chat = await group_chat(client, alice, bob, carol, dave)
    message = await sent(client, alice, chat["id"], "did you all see this?")
    later = await sent(client, alice, chat["id"], "and this")
    await client.post(f"{CHATS}/{chat['id']}/read", headers=carol.headers, json={"up_to_id": later["id"]})
    await client.post(f"{CHATS}/{chat['id']}/read", headers=bob.headers, json={"up_to_id": message["id"]})
    url = f"{CHATS}/{chat['id']}/messages/{message['id']}/receipts"

    receipts = (await client.get(url, headers=alice.headers)).json()
    first_page = (await client.get(url, headers=dave.headers, params={"limit": 1})).json()
    second_page = (
        await client.get(url, headers=dave.headers, params={"limit": 1, "cursor": first_page["next_cursor"]})
    ).json()
    later_receipts = (
        await client.get(f"{CHATS}/{chat['id']}/messages/{later['id']}/receipts", headers=bob.headers)
    ).json()

    assert [receipt["user"]["username"] for receipt in receipts["items"]] == ["carol", "bob"]
    assert receipts["unread_by_count"] == 1  # dave; alice sent it
    assert [r["user"]["username"] for r in first_page["items"] + second_page["items"]] == ["carol", "bob"]
    assert second_page["next_cursor"] is None
    assert [receipt["user"]["username"] for receipt in later_receipts["items"]] == ["carol"]
    assert later_receipts["unread_by_count"] == 2


async def test_typing_is_ephemeral_and_throttled(client: httpx.AsyncClient, event_log: EventLog) -> None:
    import os

    from valkey.asyncio import Valkey

    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await direct_chat(client, alice, bob)
    url = f"{CHATS}/{chat['id']}/typing"
    valkey = Valkey.from_url(os.environ["VALKEY_URL"])
    pubsub = valkey.pubsub()
    await pubsub.subscribe(f"events:live:{bob.id}")
    try:
        await pubsub.get_message(timeout=1)  # the subscribe confirmation

        first = await client.post(url, headers=alice.headers)  # no body: typing
        throttled = await client.post(url, headers=alice.headers, json={"typing": True})
        stopped = await client.post(url, headers=alice.headers, json={"typing": False})

        live = [await pubsub.get_message(ignore_subscribe_messages=True, timeout=1) for _ in range(3)]
    finally:
        await pubsub.aclose()
        await valkey.aclose()

    assert first.json() == {"sent": True}
    assert throttled.json() == {"sent": False}
    assert stopped.json() == {"sent": True}
    frames = [message["data"].decode().split("\n", 2) for message in live if message]
    assert [(entry_id, name) for entry_id, name, _ in frames] == [("", "typing"), ("", "typing")]
    assert '"typing":false' in frames[1][2]
    assert chat["id"] in frames[0][2]
    assert await event_log.of(bob, "typing") == []  # never kept in the log


async def test_sent_message_is_handed_to_domain_subscribers(
    client: httpx.AsyncClient, run_jobs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from salon.chat.events import ChatMessageCreated
    from salon.lib import events

    received: list[ChatMessageCreated] = []

    async def notifier(event: ChatMessageCreated) -> None:
        received.append(event)

    monkeypatch.setitem(events.SUBSCRIBERS, "chat.message_created", [notifier])
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    chat = await group_chat(client, alice, bob, carol, name="Trip")
    message = await sent(client, alice, chat["id"], "x" * 300)

    await run_jobs()

    assert len(received) == 1
    event = received[0]
    assert (event.chat_id, event.message_id, event.seq) == (chat["id"], message["id"], message["seq"])
    assert (event.chat_type, event.chat_name, event.sender_id) == ("group", "Trip", alice.id)
    assert sorted(event.recipient_ids) == sorted([bob.id, carol.id])
    assert event.preview == "x" * 140


def test_worker_knows_the_chat_domain_event() -> None:
    """The worker imports only the packages' ``jobs`` modules: they must register ``chat.message_created``, or the
    worker cannot decode it for subscribers (seen once in a benchmark run)."""
    import subprocess
    import sys

    probe = (
        "from salon import domains; domains.load_jobs(); "
        "from salon.lib.events import EVENT_TYPES; print('chat.message_created' in EVENT_TYPES)"
    )

    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "True"


async def test_reading_while_sending_never_fails(client: httpx.AsyncClient) -> None:
    """One person reads on one device while sending on another: both paths lock rows of the same chat."""
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await direct_chat(client, alice, bob)
    seed = [await sent(client, alice, chat["id"], f"m{i}") for i in range(10)]

    responses = await asyncio.gather(
        *(send(client, bob, chat["id"], f"r{i}") for i in range(10)),
        *(
            client.post(f"{CHATS}/{chat['id']}/read", headers=bob.headers, json={"up_to_id": message["id"]})
            for message in seed
        ),
        *(send(client, alice, chat["id"], f"a{i}") for i in range(5)),
    )

    assert [response.status_code for response in responses] == [201] * 10 + [200] * 10 + [201] * 5
