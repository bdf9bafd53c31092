"""Group membership and roles, blocks and messaging preferences."""

from __future__ import annotations

import uuid

import httpx

from tests import helpers
from tests.chat.conftest import CHATS, EventLog, direct_chat, group_chat, send, sent
from tests.helpers import create_user


async def _users(client: httpx.AsyncClient, *names: str) -> list[helpers.TestUser]:
    return [await create_user(client, name) for name in names]


async def test_admin_adds_members_who_see_messages_from_joining_on(
    client: httpx.AsyncClient, event_log: EventLog
) -> None:
    alice, bob, carol = await _users(client, "alice", "bob", "carol")
    chat = await group_chat(client, alice, bob)
    await sent(client, bob, chat["id"], "before carol")
    url = f"{CHATS}/{chat['id']}/members"

    by_member = await client.post(url, headers=bob.headers, json={"usernames": ["carol"]})
    added = await client.post(url, headers=alice.headers, json={"usernames": ["carol", "bob"]})
    again = await client.post(url, headers=alice.headers, json={"usernames": ["carol"]})

    assert by_member.status_code == 403
    assert added.status_code == 200, added.text
    assert added.json()["member_count"] == again.json()["member_count"] == 3
    history = (await client.get(f"{CHATS}/{chat['id']}/messages", headers=carol.headers)).json()["items"]
    assert [(m["kind"], m["system"]["action"]) for m in history] == [("system", "joined")]
    assert history[0]["system"]["usernames"] == ["carol"]
    for user in (alice, bob, carol):
        notices = await event_log.of(user, "chat_member_added")
        assert [member["user"]["username"] for member in notices[-1]["members"]] == ["carol"]
    members = (await client.get(url, headers=carol.headers)).json()["items"]
    assert [member["user"]["username"] for member in members] == ["alice", "bob", "carol"]


async def test_admin_removes_member_who_then_cannot_read_new_messages(
    client: httpx.AsyncClient, event_log: EventLog
) -> None:
    alice, bob, carol = await _users(client, "alice", "bob", "carol")
    chat = await group_chat(client, alice, bob, carol)

    by_member = await client.delete(f"{CHATS}/{chat['id']}/members/carol", headers=bob.headers)
    removed = await client.delete(f"{CHATS}/{chat['id']}/members/carol", headers=alice.headers)
    await sent(client, alice, chat["id"], "carol cannot see this")

    assert by_member.status_code == 403
    assert removed.status_code == 204
    assert (await client.get(f"{CHATS}/{chat['id']}/messages", headers=carol.headers)).status_code == 404
    assert (await send(client, carol, chat["id"], "let me back")).status_code == 404
    assert (await client.get(CHATS, headers=carol.headers)).json()["items"] == []
    assert [event["reason"] for event in await event_log.of(carol, "chat_member_removed")] == ["removed"]
    assert "carol cannot see this" not in [
        event["message"]["content"] for event in await event_log.of(carol, "message")
    ]
    bob_history = (await client.get(f"{CHATS}/{chat['id']}/messages", headers=bob.headers)).json()["items"]
    assert bob_history[1]["system"]["action"] == "removed"
    assert bob_history[1]["system"]["usernames"] == ["carol"]
    assert (await client.get(f"{CHATS}/{chat['id']}", headers=bob.headers)).json()["member_count"] == 2


async def test_anyone_leaves_and_the_last_admin_hands_over(client: httpx.AsyncClient, event_log: EventLog) -> None:
    alice, bob, carol = await _users(client, "alice", "bob", "carol")
    chat = await group_chat(client, alice, bob, carol)

    left = await client.delete(f"{CHATS}/{chat['id']}/members/ALICE", headers=alice.headers)

    assert left.status_code == 204
    assert (await client.get(f"{CHATS}/{chat['id']}", headers=alice.headers)).status_code == 404
    bob_view = (await client.get(f"{CHATS}/{chat['id']}", headers=bob.headers)).json()
    assert bob_view["role"] == "admin"  # the longest-standing member
    assert bob_view["last_message"]["system"]["action"] == "left"
    updates = await event_log.of(carol, "chat_updated")
    assert updates[-1]["role_changed"] == bob.id
    assert updates[-1]["role"] == "admin"
    not_member = await client.delete(f"{CHATS}/{chat['id']}/members/alice", headers=bob.headers)
    assert not_member.status_code == 404


async def test_roles(client: httpx.AsyncClient) -> None:
    alice, bob, carol = await _users(client, "alice", "bob", "carol")
    chat = await group_chat(client, alice, bob, carol)
    url = f"{CHATS}/{chat['id']}/members"

    by_member = await client.patch(f"{url}/carol", headers=bob.headers, json={"role": "admin"})
    last_admin = await client.patch(f"{url}/alice", headers=alice.headers, json={"role": "member"})
    promoted = await client.patch(f"{url}/bob", headers=alice.headers, json={"role": "admin"})
    bad_role = await client.patch(f"{url}/bob", headers=alice.headers, json={"role": "owner"})
    stepped_down = await client.patch(f"{url}/alice", headers=alice.headers, json={"role": "member"})
    bob_removes_alice = await client.delete(f"{url}/alice", headers=bob.headers)

    assert by_member.status_code == 403
    assert last_admin.status_code == 409
    assert "only admin" in last_admin.json()["detail"]
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "admin"
    assert bad_role.status_code in (400, 422)
    assert stepped_down.json()["role"] == "member"
    assert bob_removes_alice.status_code == 204


async def test_rename_by_admins_writes_a_system_message(client: httpx.AsyncClient, event_log: EventLog) -> None:
    alice, bob = await _users(client, "alice", "bob")
    chat = await group_chat(client, alice, bob, name="Old")
    url = f"{CHATS}/{chat['id']}"

    by_member = await client.patch(url, headers=bob.headers, json={"name": "Mine"})
    renamed = await client.patch(url, headers=alice.headers, json={"name": " New name "})
    empty = await client.patch(url, headers=alice.headers, json={"name": "  "})
    image = await client.patch(
        url, headers=alice.headers, json={"image_media_id": "0190a0a0-0000-7000-8000-000000000000"}
    )

    assert by_member.status_code == 403
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "New name"
    assert renamed.json()["last_message"]["system"] == {
        "action": "renamed", "actor_id": alice.id, "user_ids": [], "usernames": [], "name": "New name",
    }  # fmt: skip
    assert empty.status_code == 422
    assert image.status_code == 422
    assert (await event_log.of(bob, "chat_updated"))[-1]["name"] == "New name"


async def test_direct_chats_have_no_membership_changes(client: httpx.AsyncClient) -> None:
    alice, bob, carol = await _users(client, "alice", "bob", "carol")
    chat = await direct_chat(client, alice, bob)

    add = await client.post(f"{CHATS}/{chat['id']}/members", headers=alice.headers, json={"usernames": ["carol"]})
    leave = await client.delete(f"{CHATS}/{chat['id']}/members/alice", headers=alice.headers)
    rename = await client.patch(f"{CHATS}/{chat['id']}", headers=alice.headers, json={"name": "us"})

    assert add.status_code == leave.status_code == rename.status_code == 422
    assert (await client.get(f"{CHATS}/{chat['id']}", headers=carol.headers)).status_code == 404


async def test_blocked_users_cannot_start_or_continue_a_direct_chat(client: httpx.AsyncClient) -> None:
    alice, bob, carol = await _users(client, "alice", "bob", "carol")
    chat = await direct_chat(client, alice, bob)
    await sent(client, alice, chat["id"], "hi before the block")

    assert (await client.post("/api/v1/users/alice/block", headers=bob.headers)).status_code == 200
    await client.post("/api/v1/users/carol/block", headers=alice.headers)

    assert (await send(client, alice, chat["id"], "hello?")).status_code == 403
    assert (await send(client, bob, chat["id"], "go away")).status_code == 403
    assert (await client.post(f"{CHATS}/{chat['id']}/typing", headers=alice.headers, json={})).status_code == 403
    history = await client.get(f"{CHATS}/{chat['id']}/messages", headers=alice.headers)
    assert history.status_code == 200  # history stays readable
    start = await client.post(CHATS, headers=carol.headers, json={"type": "direct", "usernames": ["alice"]})
    assert start.status_code == 403
    assert "blocked" in start.json()["detail"]
    group = await client.post(
        CHATS, headers=alice.headers, json={"type": "group", "name": "g", "usernames": ["bob", "carol"]}
    )
    assert group.status_code == 403
    assert set(group.json()["usernames"]) == {"bob", "carol"}
    await client.delete("/api/v1/users/alice/block", headers=bob.headers)
    assert (await send(client, alice, chat["id"], "friends again")).status_code == 201


async def test_messaging_preferences(client: httpx.AsyncClient) -> None:
    alice, bob, carol, dave = await _users(client, "alice", "bob", "carol", "dave")
    prefs = f"{CHATS}/preferences"

    assert (await client.get(prefs, headers=alice.headers)).json() == {"allow_messages_from": "everyone"}
    changed = await client.patch(prefs, headers=alice.headers, json={"allow_messages_from": "followers"})
    invalid = await client.patch(prefs, headers=alice.headers, json={"allow_messages_from": "nobody"})
    assert changed.json() == {"allow_messages_from": "followers"}
    assert invalid.status_code in (400, 422)
    await client.post("/api/v1/users/alice/follow", headers=bob.headers)

    stranger = await client.post(CHATS, headers=carol.headers, json={"type": "direct", "usernames": ["alice"]})
    follower = await client.post(CHATS, headers=bob.headers, json={"type": "direct", "usernames": ["alice"]})
    into_group = await client.post(
        CHATS, headers=dave.headers, json={"type": "group", "name": "g", "usernames": ["alice", "bob"]}
    )

    assert stranger.status_code == 403
    assert stranger.json()["code"] == "messaging_restricted"
    assert "@alice" in stranger.json()["detail"]
    assert follower.status_code == 201
    assert into_group.status_code == 403
    await client.patch(prefs, headers=alice.headers, json={"allow_messages_from": "friends"})
    again = await client.post(CHATS, headers=bob.headers, json={"type": "direct", "usernames": ["alice"]})
    assert again.status_code == 200  # an existing chat goes on
    assert (await send(client, bob, again.json()["id"], "still here")).status_code == 201
    assert (await client.get(prefs, headers=carol.headers)).json() == {"allow_messages_from": "everyone"}


async def test_presence_of_the_other_members(client: httpx.AsyncClient) -> None:
    from salon.realtime import presence

    alice, bob, carol, eve = await _users(client, "alice", "bob", "carol", "eve")
    chat = await group_chat(client, alice, bob, carol)
    await presence.stream_opened(bob.id, "bobs-phone", 60_000)  # as an open event stream does

    response = await client.get(f"{CHATS}/{chat['id']}/presence", headers=alice.headers)

    assert response.status_code == 200
    statuses = {item["user_id"]: item["status"] for item in response.json()["items"]}
    assert statuses == {bob.id: "online", carol.id: "offline"}
    assert (await client.get(f"{CHATS}/{chat['id']}/presence", headers=eve.headers)).status_code == 404


async def test_group_is_deleted_when_its_last_member_leaves(client: httpx.AsyncClient) -> None:
    import os

    import asyncpg

    alice, bob = await _users(client, "alice", "bob")
    chat = await group_chat(client, alice, bob)
    await sent(client, bob, chat["id"], "bye")

    await client.delete(f"{CHATS}/{chat['id']}/members/bob", headers=bob.headers)
    alone = (await client.get(f"{CHATS}/{chat['id']}", headers=alice.headers)).json()
    await client.delete(f"{CHATS}/{chat['id']}/members/alice", headers=alice.headers)

    assert alone["member_count"] == 1
    assert alone["role"] == "admin"
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        left = await conn.fetchval("SELECT count(*) FROM chat_messages WHERE chat = $1", uuid.UUID(chat["id"]))
        chats = await conn.fetchval("SELECT count(*) FROM chats WHERE id = $1", uuid.UUID(chat["id"]))
    finally:
        await conn.close()
    assert (chats, left) == (0, 0)
