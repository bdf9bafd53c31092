"""Starting chats, listing and reading them: direct chats are unique, groups are 2-256, only members see a chat."""

from __future__ import annotations

import asyncio

import httpx

from tests.chat.conftest import CHATS, direct_chat, group_chat, sent
from tests.helpers import QueryLog, create_user


async def test_direct_chat_is_unique_from_either_side(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")

    first = await client.post(CHATS, headers=alice.headers, json={"type": "direct", "usernames": ["bob"]})
    again = await client.post(CHATS, headers=alice.headers, json={"type": "direct", "usernames": ["BOB"]})
    reverse = await client.post(CHATS, headers=bob.headers, json={"type": "direct", "usernames": ["alice"]})

    assert first.status_code == 201, first.text
    assert again.status_code == 200
    assert reverse.status_code == 200
    chat = first.json()
    assert again.json()["id"] == reverse.json()["id"] == chat["id"]
    assert chat["type"] == "direct"
    assert chat["member_count"] == 2
    assert chat["name"] is None
    assert {member["user"]["username"] for member in chat["members"]} == {"alice", "bob"}
    assert chat["unread_count"] == 0
    assert chat["last_message"] is None


async def test_concurrent_direct_chat_creation_makes_one_chat(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")

    responses = await asyncio.gather(
        *(
            client.post(CHATS, headers=user.headers, json={"type": "direct", "usernames": [other]})
            for user, other in [(alice, "bob"), (bob, "alice")] * 4
        )
    )

    assert sorted(response.status_code for response in responses) == [200] * 7 + [201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert len((await client.get(CHATS, headers=alice.headers)).json()["items"]) == 1


async def test_direct_chat_validation(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    await create_user(client, "bob"), await create_user(client, "carol")

    cases = [
        ({"type": "direct", "usernames": ["alice"]}, "yourself"),
        ({"type": "direct", "usernames": ["bob", "carol"]}, "exactly one"),
        ({"type": "direct", "usernames": ["nobody"]}, "@nobody"),
        ({"type": "direct", "usernames": ["bob"], "name": "x"}, "no name"),
        ({"type": "channel", "usernames": ["bob"]}, None),
        ({"type": "direct", "usernames": []}, None),
    ]
    for body, phrase in cases:
        response = await client.post(CHATS, headers=alice.headers, json=body)
        assert response.status_code in (400, 422), (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        if phrase:
            assert phrase in response.json()["detail"], response.json()


async def test_group_creation_members_and_system_message(client: httpx.AsyncClient) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]

    chat = await group_chat(client, alice, bob, carol, name="  Weekend plans ")

    assert chat["type"] == "group"
    assert chat["name"] == "Weekend plans"
    assert chat["member_count"] == 3
    assert chat["role"] == "admin"
    roles = {member["user"]["username"]: member["role"] for member in chat["members"]}
    assert roles == {"alice": "admin", "bob": "member", "carol": "member"}
    assert chat["last_message"]["kind"] == "system"
    assert chat["last_message"]["system"]["action"] == "created"
    assert set(chat["last_message"]["system"]["usernames"]) == {"bob", "carol"}
    bob_view = (await client.get(f"{CHATS}/{chat['id']}", headers=bob.headers)).json()
    assert bob_view["role"] == "member"
    assert bob_view["unread_count"] == 0


async def test_group_validation(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    await create_user(client, "bob")

    no_name = await client.post(CHATS, headers=alice.headers, json={"type": "group", "usernames": ["bob"]})
    only_me = await client.post(
        CHATS, headers=alice.headers, json={"type": "group", "name": "x", "usernames": ["alice"]}
    )
    image = await client.post(
        CHATS,
        headers=alice.headers,
        json={
            "type": "group",
            "name": "x",
            "usernames": ["bob"],
            "image_media_id": "0190a0a0-0000-7000-8000-000000000000",
        },
    )
    too_many = await client.post(
        CHATS, headers=alice.headers, json={"type": "group", "name": "x", "usernames": [f"u{i}" for i in range(257)]}
    )

    assert no_name.status_code == 422
    assert "needs a name" in no_name.json()["detail"]
    assert only_me.status_code == 422
    assert "at least one other" in only_me.json()["detail"]
    assert image.status_code == 422
    assert "not an image you uploaded" in image.json()["detail"]
    assert too_many.status_code in (400, 422)


async def test_non_member_gets_404_for_everything(client: httpx.AsyncClient) -> None:
    alice, bob, eve = [await create_user(client, name) for name in ("alice", "bob", "eve")]
    chat = await direct_chat(client, alice, bob)
    message = await sent(client, alice, chat["id"])
    base = f"{CHATS}/{chat['id']}"

    attempts = [
        client.get(base, headers=eve.headers),
        client.patch(base, headers=eve.headers, json={"name": "mine"}),
        client.get(f"{base}/messages", headers=eve.headers),
        client.post(f"{base}/messages", headers=eve.headers, json={"content": "hi"}),
        client.patch(f"{base}/messages/{message['id']}", headers=eve.headers, json={"content": "x"}),
        client.delete(f"{base}/messages/{message['id']}", headers=eve.headers),
        client.get(f"{base}/messages/{message['id']}/receipts", headers=eve.headers),
        client.post(f"{base}/read", headers=eve.headers, json={"up_to_id": message["id"]}),
        client.post(f"{base}/typing", headers=eve.headers, json={}),
        client.get(f"{base}/members", headers=eve.headers),
        client.post(f"{base}/members", headers=eve.headers, json={"usernames": ["eve"]}),
        client.delete(f"{base}/members/alice", headers=eve.headers),
        client.get(f"{CHATS}/not-an-id", headers=alice.headers),
        client.get(f"{CHATS}/0190a0a0-0000-7000-8000-000000000000/messages", headers=alice.headers),
    ]
    for response in await asyncio.gather(*attempts):
        assert response.status_code == 404, (response.request.method, response.request.url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(CHATS, headers=eve.headers)).json()["items"] == []


async def test_chat_list_by_last_activity_with_preview_and_unread_counts(client: httpx.AsyncClient) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    with_bob = await direct_chat(client, alice, bob)
    with_carol = await direct_chat(client, alice, carol)
    group = await group_chat(client, carol, alice, bob)
    await sent(client, bob, with_bob["id"], "first from bob")
    await sent(client, carol, with_carol["id"], "hi alice")
    await sent(client, bob, with_bob["id"], "second from bob")

    listing = (await client.get(CHATS, headers=alice.headers)).json()

    assert [chat["id"] for chat in listing["items"]] == [with_bob["id"], with_carol["id"], group["id"]]
    by_id = {chat["id"]: chat for chat in listing["items"]}
    assert by_id[with_bob["id"]]["last_message"]["content"] == "second from bob"
    assert by_id[with_bob["id"]]["last_message"]["sender"]["username"] == "bob"
    assert by_id[with_bob["id"]]["unread_count"] == 2
    assert by_id[with_carol["id"]]["unread_count"] == 1
    assert by_id[group["id"]]["unread_count"] == 0  # system messages are not unread
    totals = (await client.get(f"{CHATS}/unread", headers=alice.headers)).json()
    assert totals == {"unread_count": 3, "unread_chats": 2}
    assert (await client.get(f"{CHATS}/unread", headers=bob.headers)).json() == {"unread_count": 0, "unread_chats": 0}


async def test_chat_list_pages_without_duplicates(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    others = [await create_user(client, f"friend{i}") for i in range(5)]
    for other in others:
        await direct_chat(client, alice, other)

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(CHATS, headers=alice.headers, params=params)).json()
        seen.extend(chat["id"] for chat in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == 5
    assert len(set(seen)) == 5
    bad = await client.get(CHATS, headers=alice.headers, params={"cursor": "garbage"})
    assert bad.status_code == 400


async def test_chat_list_costs_a_fixed_number_of_queries(client: httpx.AsyncClient, query_log: QueryLog) -> None:
    alice = await create_user(client, "alice")
    for i in range(6):
        other = await create_user(client, f"pal{i}")
        chat = await direct_chat(client, alice, other)
        await sent(client, other, chat["id"], f"hi {i}")
    counts = []
    for limit in (2, 6):
        query_log.reset()
        response = await client.get(CHATS, headers=alice.headers, params={"limit": limit})
        assert response.status_code == 200
        assert len(response.json()["items"]) == limit
        counts.append(query_log.count)

    assert 1 <= counts[0] == counts[1] <= 5
