"""Presence: online with an open stream, idle on request, hidden on request, offline after the grace period."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import wait_for
from tests.helpers import TestUser, create_user
from tests.realtime.sse import open_stream


async def befriend(client: httpx.AsyncClient, a: TestUser, b: TestUser) -> None:
    sent = await client.post("/api/v1/friends/requests", json={"username": b.username}, headers=a.headers)
    assert sent.status_code in (200, 201), sent.text
    accepted = await client.post(f"/api/v1/friends/requests/{sent.json()['id']}/accept", headers=b.headers)
    assert accepted.status_code == 200, accepted.text


async def presence_of(client: httpx.AsyncClient, viewer: TestUser, *users: TestUser) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/presence", params={"users": ",".join(u.id for u in users)}, headers=viewer.headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_presence_follows_streams_and_reaches_friends(
    client: httpx.AsyncClient, live_server_factory: Callable[..., Any]
) -> None:
    # A short heartbeat: the server notices a closed client at its next write, then the 1 s grace period runs.
    server = live_server_factory({"SALON_PRESENCE_GRACE_SECONDS": "1", "SALON_EVENTS_HEARTBEAT_SECONDS": "0.5"})
    alice, bob, stranger = [await create_user(client, name) for name in ("alice", "bob", "stranger")]
    await befriend(client, alice, bob)
    [before] = await presence_of(client, alice, bob)
    assert (before["status"], before["last_seen"]) == ("offline", None)
    async with open_stream(server.url, alice.headers) as alices, open_stream(server.url, stranger.headers) as strangers:
        async with open_stream(server.url, bob.headers):
            online = await alices.next()
            assert (online.name, online.data["user_id"], online.data["status"]) == ("presence", bob.id, "online")
            assert online.id == alices.opening_id  # ephemeral: no id of its own, the resume point does not move
            assert [p["status"] for p in await presence_of(client, stranger, bob)] == ["online"]
            response = await client.post("/api/v1/presence", json={"status": "idle"}, headers=bob.headers)
            assert response.json()["status"] == "idle"
            assert (await alices.next()).data["status"] == "idle"

        async def offline() -> Any:  # once the server noticed the close and the 1 s grace period ran out
            [state] = await presence_of(client, alice, bob)
            return state if state["status"] == "offline" else None

        after = await wait_for(offline, timeout=10)
        assert after["last_seen"] is not None
        assert await strangers.nothing_more(0.2)  # not a friend or mutual follow: no presence events


async def test_hidden_presence_looks_offline_to_others(
    client: httpx.AsyncClient, live_server_factory: Callable[..., Any]
) -> None:
    server = live_server_factory()
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    await befriend(client, alice, bob)
    async with open_stream(server.url, alice.headers) as alices, open_stream(server.url, bob.headers):
        assert (await alices.next()).data["status"] == "online"
        response = await client.put("/api/v1/presence/settings", json={"hidden": True}, headers=bob.headers)
        assert response.json() == {"hidden": True}
        assert (await alices.next()).data["status"] == "offline"
        [seen_by_alice] = await presence_of(client, alice, bob)
        assert (seen_by_alice["status"], seen_by_alice["last_seen"]) == ("offline", None)
        [seen_by_bob] = await presence_of(client, bob, bob)
        assert seen_by_bob["status"] == "online"  # you always see your own
    settings = await client.get("/api/v1/presence/settings", headers=bob.headers)
    assert settings.json() == {"hidden": True}


async def test_presence_requests_are_validated(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    assert (await client.post("/api/v1/presence", json={"status": "away"}, headers=alice.headers)).status_code == 400
    no_stream = await client.post("/api/v1/presence", json={"status": "online"}, headers=alice.headers)
    assert no_stream.json()["status"] == "offline"  # online needs an open stream
    bad_id = await client.get("/api/v1/presence", params={"users": "nope"}, headers=alice.headers)
    assert bad_id.status_code == 422
    assert bad_id.json()["invalid_ids"] == ["nope"]
    too_many = ",".join([alice.id] * 101)
    assert (await client.get("/api/v1/presence", params={"users": too_many}, headers=alice.headers)).status_code == 422
    assert (await client.get("/api/v1/presence", params={"users": alice.id})).status_code == 401
    assert (
        await client.put("/api/v1/presence/settings", json={"hidden": "x"}, headers=alice.headers)
    ).status_code == 400


async def test_a_closed_stream_schedules_the_offline_check_only_when_no_other_stream_outlasts_it(app: Any) -> None:
    from salon.lib import jobs
    from salon.realtime import presence

    user = "0190a000-0000-7000-8000-0000000000bb"
    await presence.stream_opened(user, "phone", lease_ms=60_000)
    await presence.stream_opened(user, "laptop", lease_ms=60_000)
    scheduled = await jobs.queue().count("incomplete")

    await presence.stream_closed(user, "phone", grace_ms=1_000)
    assert await jobs.queue().count("incomplete") == scheduled  # the laptop stays connected: nothing to check yet
    await presence.stream_closed(user, "laptop", grace_ms=1_000)
    assert await jobs.queue().count("incomplete") == scheduled + 1  # the last one: check for offline after grace
