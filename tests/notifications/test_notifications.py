"""Notifications: created by the worker from domain events, grouped, withdrawn on undo, read markers, streams."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.helpers import TestUser, create_user
from tests.realtime.sse import open_stream


async def post_as(client: httpx.AsyncClient, user: TestUser, content: str = "hello", **extra: Any) -> str:
    response = await client.post("/api/v1/posts", json={"content": content, **extra}, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def notifications_of(client: httpx.AsyncClient, user: TestUser, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/notifications", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def unread(client: httpx.AsyncClient, user: TestUser) -> int:
    response = await client.get("/api/v1/notifications/unread_count", headers=user.headers)
    assert response.status_code == 200
    return int(response.json()["count"])


async def test_likes_are_grouped_with_count_and_latest_actors(
    client: httpx.AsyncClient, run_jobs: Callable[[], Any]
) -> None:
    alice = await create_user(client, "alice")
    likers = [await create_user(client, f"liker{i}") for i in range(4)]
    post_id = await post_as(client, alice)
    for liker in likers:
        assert (await client.post(f"/api/v1/posts/{post_id}/like", headers=liker.headers)).status_code == 200
    await run_jobs()
    [group] = await notifications_of(client, alice)
    assert (group["type"], group["post_id"], group["actor_count"]) == ("like", post_id, 4)
    assert [actor["username"] for actor in group["actors"]] == ["liker3", "liker2", "liker1"]
    assert group["read"] is False
    assert await unread(client, alice) == 1


async def test_own_actions_blocked_and_muted_actors_are_not_notified(
    client: httpx.AsyncClient, run_jobs: Callable[[], Any]
) -> None:
    alice, blocked, muted = [await create_user(client, name) for name in ("alice", "blocked", "muted")]
    post_id = await post_as(client, alice)
    await client.post(f"/api/v1/posts/{post_id}/like", headers=alice.headers)
    await client.post(f"/api/v1/users/{muted.username}/mute", headers=alice.headers)
    await client.post(f"/api/v1/posts/{post_id}/like", headers=muted.headers)
    await client.post(f"/api/v1/users/{blocked.username}/follow", headers=alice.headers)
    await client.post(f"/api/v1/users/{alice.username}/block", headers=blocked.headers)  # after the fact
    await client.post(f"/api/v1/users/{alice.username}/follow", headers=blocked.headers)
    await run_jobs()
    assert await notifications_of(client, alice) == []


async def test_reply_to_a_post_notifies_only_when_the_author_may_see_the_reply(
    client: httpx.AsyncClient, run_jobs: Callable[[], Any]
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    post_id = await post_as(client, alice)
    await post_as(client, bob, "only my friends", reply_to_id=post_id, visibility="friends")
    public_reply = await post_as(client, bob, "everyone", reply_to_id=post_id)
    await run_jobs()
    [reply] = await notifications_of(client, alice)
    assert (reply["type"], reply["post_id"], reply["actors"][0]["username"]) == ("reply", public_reply, "bob")


async def test_unlike_withdraws_the_unread_notification(client: httpx.AsyncClient, run_jobs: Callable[[], Any]) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    post_id = await post_as(client, alice)
    for user in (bob, carol):
        await client.post(f"/api/v1/posts/{post_id}/like", headers=user.headers)
    await run_jobs()
    await client.delete(f"/api/v1/posts/{post_id}/like", headers=bob.headers)
    await run_jobs()
    [group] = await notifications_of(client, alice)
    assert group["actor_count"] == 1
    assert [actor["username"] for actor in group["actors"]] == ["carol"]
    await client.delete(f"/api/v1/posts/{post_id}/like", headers=carol.headers)
    await run_jobs()
    assert await notifications_of(client, alice) == []
    assert await unread(client, alice) == 0


async def test_follow_and_unfollow(client: httpx.AsyncClient, run_jobs: Callable[[], Any]) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    await client.post(f"/api/v1/users/{alice.username}/follow", headers=bob.headers)
    await run_jobs()
    [follow] = await notifications_of(client, alice, types="follow")
    assert follow["actors"][0]["username"] == "bob"
    assert await notifications_of(client, alice, types="like") == []
    await client.delete(f"/api/v1/users/{alice.username}/follow", headers=bob.headers)
    await run_jobs()
    assert await notifications_of(client, alice) == []


async def test_read_marker_closes_groups_and_a_new_like_starts_a_new_group(
    client: httpx.AsyncClient, run_jobs: Callable[[], Any]
) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    post_id = await post_as(client, alice)
    await client.post(f"/api/v1/posts/{post_id}/like", headers=bob.headers)
    await run_jobs()
    [first] = await notifications_of(client, alice)
    response = await client.post("/api/v1/notifications/read", json={"up_to_id": first["id"]}, headers=alice.headers)
    assert response.json() == {"count": 0}
    await client.delete(f"/api/v1/posts/{post_id}/like", headers=bob.headers)  # read: stays in the history
    await client.post(f"/api/v1/posts/{post_id}/like", headers=carol.headers)
    await run_jobs()
    newest, older = await notifications_of(client, alice)
    assert (newest["read"], [a["username"] for a in newest["actors"]]) == (False, ["carol"])
    assert (older["id"], older["read"], older["actor_count"]) == (first["id"], True, 1)
    assert await unread(client, alice) == 1


async def test_pagination_validation_and_privacy(client: httpx.AsyncClient, run_jobs: Callable[[], Any]) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    for _ in range(3):
        await post_as(client, bob, "hi @alice")
    await run_jobs()
    first = (await client.get("/api/v1/notifications", params={"limit": 2}, headers=alice.headers)).json()
    rest = (
        await client.get("/api/v1/notifications", params={"cursor": first["next_cursor"]}, headers=alice.headers)
    ).json()
    ids = [item["id"] for item in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 3
    assert rest["next_cursor"] is None
    assert await notifications_of(client, bob) == []  # alice's notifications are hers alone
    assert (
        await client.get("/api/v1/notifications", params={"types": "nope"}, headers=alice.headers)
    ).status_code == 422
    assert (await client.get("/api/v1/notifications", params={"cursor": "x"}, headers=alice.headers)).status_code == 400
    bad = await client.post("/api/v1/notifications/read", json={"up_to_id": "nope"}, headers=alice.headers)
    assert bad.status_code == 422
    assert (await client.get("/api/v1/notifications")).status_code == 401


async def test_like_reaches_the_authors_open_stream_on_another_instance(
    client: httpx.AsyncClient, run_jobs: Callable[[], Any], live_server_factory: Callable[..., Any]
) -> None:
    first, second = live_server_factory(), live_server_factory()
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    post_id = await post_as(client, alice)
    async with open_stream(first.url, alice.headers) as stream, httpx.AsyncClient(base_url=second.url) as other:
        assert (await other.post(f"/api/v1/posts/{post_id}/like", headers=bob.headers)).status_code == 200
        await run_jobs()
        event = await stream.next()
        assert event.name == "notification"
        assert event.data["notification"]["type"] == "like"
        assert event.data["notification"]["actors"][0]["username"] == "bob"
        assert event.data["unread_count"] == 1
        response = await other.post(
            "/api/v1/notifications/read", json={"up_to_id": event.data["notification"]["id"]}, headers=alice.headers
        )
        assert response.status_code == 200
        synced = await stream.next()  # the read marker reaches the user's other devices
        assert (synced.name, synced.data["unread_count"]) == ("notifications.read", 0)
