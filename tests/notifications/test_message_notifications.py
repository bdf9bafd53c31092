"""``message`` notifications from chat's ``chat.message_created``: for recipients not active in a client right now."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.chat.conftest import direct_chat, group_chat, sent
from tests.helpers import create_user
from tests.notifications.test_notifications import notifications_of, unread
from tests.realtime.sse import open_stream


async def test_offline_members_get_one_message_group_per_chat_but_not_from_muted_or_blocked_senders(
    client: httpx.AsyncClient, run_jobs: Callable[[], Any]
) -> None:
    alice, bob, carol, dave, eve = [
        await create_user(client, name) for name in ("alice", "bob", "carol", "dave", "eve")
    ]
    chat = await group_chat(client, alice, bob, carol, dave, eve)
    await client.post("/api/v1/users/carol/mute", headers=dave.headers)
    await client.post("/api/v1/users/carol/block", headers=eve.headers)

    await sent(client, alice, chat["id"], "first")
    await sent(client, carol, chat["id"], "second")
    await sent(client, alice, chat["id"], "third")
    await run_jobs()

    [for_bob] = await notifications_of(client, bob)
    assert (for_bob["type"], for_bob["group_key"], for_bob["post_id"]) == ("message", f"message:{chat['id']}", None)
    assert (for_bob["actor_count"], {actor["username"] for actor in for_bob["actors"]}) == (2, {"carol", "alice"})
    assert await unread(client, bob) == 1
    [for_dave] = await notifications_of(client, dave)
    assert [actor["username"] for actor in for_dave["actors"]] == ["alice"]  # dave muted carol
    [for_eve] = await notifications_of(client, eve)
    assert [actor["username"] for actor in for_eve["actors"]] == ["alice"]  # eve blocked carol
    [for_alice] = await notifications_of(client, alice, types="message")
    assert [actor["username"] for actor in for_alice["actors"]] == ["carol"]  # never of her own messages


async def test_a_direct_message_notifies_each_chat_separately_and_read_starts_a_new_group(
    client: httpx.AsyncClient, run_jobs: Callable[[], Any]
) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    with_alice, with_carol = await direct_chat(client, alice, bob), await direct_chat(client, carol, bob)
    await sent(client, alice, with_alice["id"])
    await sent(client, carol, with_carol["id"])
    await run_jobs()

    groups = await notifications_of(client, bob)
    assert {group["group_key"] for group in groups} == {f"message:{with_carol['id']}", f"message:{with_alice['id']}"}
    read = await client.post("/api/v1/notifications/read", json={"up_to_id": groups[0]["id"]}, headers=bob.headers)
    assert read.status_code == 200
    await sent(client, alice, with_alice["id"], "again")
    await run_jobs()
    newest, *older = await notifications_of(client, bob)
    assert (newest["group_key"], newest["read"]) == (f"message:{with_alice['id']}", False)
    assert [group["read"] for group in older] == [True, True]


async def test_an_active_recipient_sees_messages_live_and_is_notified_only_once_idle(
    client: httpx.AsyncClient, run_jobs: Callable[[], Any], live_server_factory: Callable[..., Any]
) -> None:
    server = live_server_factory()
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await direct_chat(client, alice, bob)
    async with open_stream(server.url, bob.headers) as stream:
        await sent(client, alice, chat["id"], "while bob looks")
        await run_jobs()
        assert (await stream.next()).name == "message"
        assert await notifications_of(client, bob) == []

        idle = await client.post("/api/v1/presence", json={"status": "idle"}, headers=bob.headers)
        assert idle.status_code == 200, idle.text
        await sent(client, alice, chat["id"], "while bob is away")
        await run_jobs()

        [notification] = await notifications_of(client, bob)
        assert (notification["type"], notification["actors"][0]["username"]) == ("message", "alice")
