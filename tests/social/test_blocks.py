from __future__ import annotations

import uuid

import httpx


async def counts(client: httpx.AsyncClient, username: str) -> tuple[int, int]:
    body = (await client.get(f"/api/v1/users/{username}")).json()
    return body["followers_count"], body["following_count"]


async def befriend(client: httpx.AsyncClient, a, b) -> None:
    request = await client.post("/api/v1/friends/requests", json={"username": b.username}, headers=a.headers)
    await client.post(f"/api/v1/friends/requests/{request.json()['id']}/accept", headers=b.headers)


async def test_block_severs_follows_friendship_and_requests_both_ways(
    client: httpx.AsyncClient, make_users, emitted
) -> None:
    alice, bob, carol = await make_users("alice", "bob", "carol")
    await client.post("/api/v1/users/bob/follow", headers=alice.headers)
    await client.post("/api/v1/users/alice/follow", headers=bob.headers)
    await client.post("/api/v1/users/alice/follow", headers=carol.headers)
    await befriend(client, alice, bob)

    blocked = await client.post("/api/v1/users/bob/block", headers=alice.headers)
    again = await client.post("/api/v1/users/bob/block", headers=alice.headers)

    assert blocked.json() == {"blocking": True}
    assert again.status_code == 200
    assert await counts(client, "alice") == (1, 0)  # carol still follows alice
    assert await counts(client, "bob") == (0, 0)
    assert (await client.get("/api/v1/friends", headers=alice.headers)).json()["items"] == []
    assert (await client.get("/api/v1/friends", headers=bob.headers)).json()["items"] == []
    assert emitted.named("user.blocked") == [{"blocker_id": alice.id, "blocked_id": bob.id}]


async def test_blocked_user_cannot_reach_the_blocker(client: httpx.AsyncClient, make_users) -> None:
    alice, bob = await make_users("alice", "bob")
    await client.post("/api/v1/users/bob/block", headers=alice.headers)

    follow = await client.post("/api/v1/users/alice/follow", headers=bob.headers)
    befriend_attempt = await client.post("/api/v1/friends/requests", json={"username": "alice"}, headers=bob.headers)
    followers = await client.get("/api/v1/users/alice/followers", headers=bob.headers)
    posts = await client.get("/api/v1/users/alice/posts", headers=bob.headers)
    blocker_follows = await client.post("/api/v1/users/bob/follow", headers=alice.headers)

    assert follow.status_code == 404
    assert befriend_attempt.status_code == 404
    assert followers.status_code == 404
    assert posts.status_code == 404
    assert blocker_follows.status_code == 409
    assert "unblock" in blocker_follows.json()["detail"]


async def test_unblock_restores_reach_but_not_relationships(client: httpx.AsyncClient, make_users, emitted) -> None:
    alice, bob = await make_users("alice", "bob")
    await client.post("/api/v1/users/alice/follow", headers=bob.headers)
    await client.post("/api/v1/users/bob/block", headers=alice.headers)

    unblocked = await client.delete("/api/v1/users/bob/block", headers=alice.headers)
    follow = await client.post("/api/v1/users/alice/follow", headers=bob.headers)

    assert unblocked.json() == {"blocking": False}
    assert follow.status_code == 200
    assert follow.json()["followers_count"] == 1
    assert len(emitted.named("user.unblocked")) == 1


async def test_blocked_users_are_left_out_of_lists(client: httpx.AsyncClient, make_users) -> None:
    alice, bob, carol = await make_users("alice", "bob", "carol")
    await client.post("/api/v1/users/carol/follow", headers=alice.headers)
    await client.post("/api/v1/users/carol/follow", headers=bob.headers)
    await client.post("/api/v1/users/alice/block", headers=bob.headers)

    as_alice = (await client.get("/api/v1/users/carol/followers", headers=alice.headers)).json()
    as_carol = (await client.get("/api/v1/users/carol/followers", headers=carol.headers)).json()

    assert [entry["user"]["username"] for entry in as_alice["items"]] == ["alice"]
    assert {entry["user"]["username"] for entry in as_carol["items"]} == {"alice", "bob"}


async def test_mute_is_idempotent_and_exposed_to_other_packages(client: httpx.AsyncClient, make_users, emitted) -> None:
    from salon.social import services

    alice, bob = await make_users("alice", "bob")

    muted = await client.post("/api/v1/users/bob/mute", headers=alice.headers)
    again = await client.post("/api/v1/users/bob/mute", headers=alice.headers)
    mutes = await services.muted_user_ids(alice.id)
    itself = await client.post("/api/v1/users/alice/mute", headers=alice.headers)
    unmuted = await client.delete("/api/v1/users/bob/mute", headers=alice.headers)

    assert muted.json() == {"muting": True}
    assert again.status_code == 200
    assert mutes == {uuid.UUID(bob.id)}
    assert itself.status_code == 422
    assert unmuted.json() == {"muting": False}
    assert await services.muted_user_ids(alice.id) == set()
    assert len(emitted.named("user.muted")) == 1
    assert len(emitted.named("user.unmuted")) == 1
    # Muting is private: bob can still follow alice and see her.
    assert (await client.post("/api/v1/users/alice/follow", headers=bob.headers)).status_code == 200


async def test_block_queries_for_other_packages(client: httpx.AsyncClient, make_users) -> None:
    from salon.social import services

    alice, bob, carol = await make_users("alice", "bob", "carol")
    await client.post("/api/v1/users/alice/block", headers=bob.headers)

    assert await services.is_blocked_between(alice.id, bob.id)
    assert await services.is_blocked_between(bob.id, alice.id)
    assert not await services.is_blocked_between(alice.id, carol.id)
    assert await services.blocked_between_ids(alice.id, [bob.id, carol.id]) == {uuid.UUID(bob.id)}
