from __future__ import annotations

import httpx


async def send(client: httpx.AsyncClient, sender, username: str) -> httpx.Response:
    return await client.post("/api/v1/friends/requests", json={"username": username}, headers=sender.headers)


async def friend_names(client: httpx.AsyncClient, user) -> list[str]:
    page = (await client.get("/api/v1/friends", headers=user.headers)).json()
    return [entry["friend"]["username"] for entry in page["items"]]


async def test_request_accept_and_list(client: httpx.AsyncClient, make_users, emitted) -> None:
    alice, bob = await make_users("alice", "bob")

    sent = await send(client, alice, "bob")
    repeated = await send(client, alice, "bob")
    incoming = (await client.get("/api/v1/friends/requests", headers=bob.headers)).json()
    outgoing = (await client.get("/api/v1/friends/requests?direction=outgoing", headers=alice.headers)).json()
    accepted = await client.post(f"/api/v1/friends/requests/{sent.json()['id']}/accept", headers=bob.headers)

    assert sent.status_code == 201
    assert sent.json()["status"] == "pending"
    assert sent.json()["recipient"]["username"] == "bob"
    assert repeated.status_code == 200
    assert repeated.json()["id"] == sent.json()["id"]
    assert [r["sender"]["username"] for r in incoming["items"]] == ["alice"]
    assert [r["recipient"]["username"] for r in outgoing["items"]] == ["bob"]
    assert accepted.status_code == 200
    assert accepted.json()["friend"]["username"] == "alice"
    assert await friend_names(client, alice) == ["bob"]
    assert await friend_names(client, bob) == ["alice"]
    assert (await client.get("/api/v1/friends/requests", headers=bob.headers)).json()["items"] == []
    assert emitted.named("friend.requested")[0]["recipient_id"] == bob.id
    assert emitted.named("friend.accepted")[0] == {
        "request_id": sent.json()["id"],
        "sender_id": alice.id,
        "accepter_id": bob.id,
        "created_at": emitted.named("friend.accepted")[0]["created_at"],
    }


async def test_crossed_requests_become_a_friendship(client: httpx.AsyncClient, make_users) -> None:
    alice, bob = await make_users("alice", "bob")

    await send(client, alice, "bob")
    crossed = await send(client, bob, "alice")
    again = await send(client, bob, "alice")

    assert crossed.status_code == 201
    assert crossed.json()["status"] == "accepted"
    assert await friend_names(client, alice) == ["bob"]
    assert again.status_code == 409


async def test_only_the_recipient_accepts_and_strangers_see_nothing(client: httpx.AsyncClient, make_users) -> None:
    alice, bob, mallory = await make_users("alice", "bob", "mallory")
    request_id = (await send(client, alice, "bob")).json()["id"]

    by_sender = await client.post(f"/api/v1/friends/requests/{request_id}/accept", headers=alice.headers)
    by_stranger = await client.post(f"/api/v1/friends/requests/{request_id}/accept", headers=mallory.headers)
    decline_by_stranger = await client.post(f"/api/v1/friends/requests/{request_id}/decline", headers=mallory.headers)
    bad_id = await client.post("/api/v1/friends/requests/not-an-id/accept", headers=bob.headers)
    strangers_view = (await client.get("/api/v1/friends/requests", headers=mallory.headers)).json()

    assert by_sender.status_code == 422
    assert by_stranger.status_code == 404
    assert decline_by_stranger.status_code == 404
    assert bad_id.status_code == 404
    assert strangers_view["items"] == []
    assert await friend_names(client, bob) == []


async def test_decline_withdraw_and_unfriend(client: httpx.AsyncClient, make_users) -> None:
    alice, bob, carol = await make_users("alice", "bob", "carol")
    declined = (await send(client, alice, "bob")).json()["id"]
    withdrawn = (await send(client, alice, "carol")).json()["id"]

    decline = await client.post(f"/api/v1/friends/requests/{declined}/decline", headers=bob.headers)
    withdraw = await client.post(f"/api/v1/friends/requests/{withdrawn}/decline", headers=alice.headers)
    accept_after = await client.post(f"/api/v1/friends/requests/{declined}/accept", headers=bob.headers)

    assert decline.status_code == 204
    assert withdraw.status_code == 204
    assert accept_after.status_code == 404
    outgoing = await client.get("/api/v1/friends/requests?direction=outgoing", headers=alice.headers)
    assert outgoing.json()["items"] == []

    request_id = (await send(client, carol, "alice")).json()["id"]
    await client.post(f"/api/v1/friends/requests/{request_id}/accept", headers=alice.headers)
    removed = await client.delete("/api/v1/friends/carol", headers=alice.headers)
    removed_again = await client.delete("/api/v1/friends/carol", headers=alice.headers)

    assert removed.status_code == 204
    assert removed_again.status_code == 404
    assert await friend_names(client, carol) == []


async def test_friend_request_input_errors(client: httpx.AsyncClient, make_users) -> None:
    (alice,) = await make_users("alice")

    itself = await send(client, alice, "alice")
    unknown = await send(client, alice, "ghost_user")
    missing_field = await client.post("/api/v1/friends/requests", json={}, headers=alice.headers)
    bad_direction = await client.get("/api/v1/friends/requests?direction=sideways", headers=alice.headers)

    assert itself.status_code == 422
    assert unknown.status_code == 404
    assert missing_field.status_code == 400
    assert bad_direction.status_code == 400


async def test_a_friend_request_body_with_an_unknown_field_is_rejected(client: httpx.AsyncClient, make_users) -> None:
    """Found by the fuzz pass: this was the one request body that ignored unknown fields (201, request sent)."""
    alice, _bob = await make_users("alice", "bob")
    response = await client.post(
        "/api/v1/friends/requests", json={"username": "bob", "usernme": "bob"}, headers=alice.headers
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "usernme" in response.json()["detail"]
    assert (await client.get("/api/v1/friends/requests?direction=outgoing", headers=alice.headers)).json()[
        "items"
    ] == []


async def test_openapi_documents_the_200_of_a_repeated_friend_request(client: httpx.AsyncClient) -> None:
    """A repeated request answers 200 with the pending one; the document listed only 201."""
    schema = (await client.get("/schema/openapi.json")).json()
    responses = schema["paths"]["/api/v1/friends/requests"]["post"]["responses"]
    view = {"$ref": "#/components/schemas/FriendRequestView"}
    assert responses["201"]["content"]["application/json"]["schema"] == view
    assert responses["200"]["content"]["application/json"]["schema"] == view
