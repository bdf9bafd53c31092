"""The viewer's relationship with another user, and profiles disappearing behind a block."""

from __future__ import annotations

import uuid

import httpx

from tests.helpers import create_user


async def test_relationship_reflects_follows_requests_blocks_and_mutes(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    bob = await create_user(client, "bob")
    empty = (await client.get("/api/v1/users/bob/relationship", headers=alice.headers)).json()
    assert empty == {
        "following": False,
        "followed_by": False,
        "friends": False,
        "incoming_friend_request_id": None,
        "outgoing_friend_request_id": None,
        "blocking": False,
        "muting": False,
    }
    await client.post("/api/v1/users/alice/follow", headers=bob.headers)
    request = await client.post("/api/v1/friends/requests", json={"username": "bob"}, headers=alice.headers)
    assert request.status_code in (200, 201), request.text
    await client.post("/api/v1/users/bob/mute", headers=alice.headers)
    mine = (await client.get("/api/v1/users/bob/relationship", headers=alice.headers)).json()
    assert mine["followed_by"] is True
    assert mine["following"] is False
    assert mine["outgoing_friend_request_id"] == request.json()["id"]
    assert mine["muting"] is True
    theirs = (await client.get("/api/v1/users/alice/relationship", headers=bob.headers)).json()
    assert theirs["following"] is True
    assert theirs["incoming_friend_request_id"] == request.json()["id"]
    assert theirs["muting"] is False, "a mute is private to the muter"


async def test_relationship_needs_sign_in_and_a_known_user(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    assert (await client.get("/api/v1/users/alice/relationship")).status_code == 401
    missing = await client.get("/api/v1/users/nobody_here/relationship", headers=alice.headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


async def test_a_blocked_viewer_cannot_see_the_blockers_profile(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    bob = await create_user(client, "bob")
    assert (await client.get("/api/v1/users/alice", headers=bob.headers)).status_code == 200
    assert (await client.post("/api/v1/users/bob/block", headers=alice.headers)).status_code == 200
    assert (await client.get("/api/v1/users/alice", headers=bob.headers)).status_code == 404
    assert (await client.get("/api/v1/users/alice/relationship", headers=bob.headers)).status_code == 404
    # the blocker still sees the profile and their own block; signed-out readers are unaffected
    assert (await client.get("/api/v1/users/bob", headers=alice.headers)).status_code == 200
    assert (await client.get("/api/v1/users/bob/relationship", headers=alice.headers)).json()["blocking"] is True
    assert (await client.get("/api/v1/users/alice")).status_code == 200


async def test_visiting_a_profile_raises_feed_affinity_once_a_day(client: httpx.AsyncClient) -> None:
    from salon.feed.affinity import affinities

    alice = await create_user(client, "alice")
    bob = await create_user(client, "bob")
    assert await affinities(uuid.UUID(alice.id), [uuid.UUID(bob.id)]) == {}
    await client.get("/api/v1/users/bob", headers=alice.headers)
    first = await affinities(uuid.UUID(alice.id), [uuid.UUID(bob.id)])
    assert first[uuid.UUID(bob.id)] > 0
    await client.get("/api/v1/users/bob", headers=alice.headers)
    assert await affinities(uuid.UUID(alice.id), [uuid.UUID(bob.id)]) == first, "one visit a day counts"
    await client.get("/api/v1/users/alice", headers=alice.headers)
    assert await affinities(uuid.UUID(alice.id), [uuid.UUID(alice.id)]) == {}, "no affinity with yourself"
