from __future__ import annotations

import httpx

from tests.helpers import create_user


async def profile_counts(client: httpx.AsyncClient, username: str) -> tuple[int, int]:
    body = (await client.get(f"/api/v1/users/{username}")).json()
    return body["followers_count"], body["following_count"]


async def test_follow_is_idempotent_and_counts_exactly(client: httpx.AsyncClient, emitted) -> None:
    alice = await create_user(client, "alice")
    await create_user(client, "bob")

    first = await client.post("/api/v1/users/bob/follow", headers=alice.headers)
    again = await client.post("/api/v1/users/BOB/follow", headers=alice.headers)

    assert first.status_code == 200
    assert first.json() == {"following": True, "followers_count": 1}
    assert again.json() == {"following": True, "followers_count": 1}
    assert await profile_counts(client, "bob") == (1, 0)
    assert await profile_counts(client, "alice") == (0, 1)
    assert len(emitted.named("user.followed")) == 1
    assert emitted.named("user.followed")[0]["follower_id"] == alice.id


async def test_unfollow_decrements_once_and_never_below_zero(client: httpx.AsyncClient, emitted) -> None:
    alice = await create_user(client, "alice")
    await create_user(client, "bob")
    await client.post("/api/v1/users/bob/follow", headers=alice.headers)

    first = await client.delete("/api/v1/users/bob/follow", headers=alice.headers)
    again = await client.delete("/api/v1/users/bob/follow", headers=alice.headers)

    assert first.json() == {"following": False, "followers_count": 0}
    assert again.json() == {"following": False, "followers_count": 0}
    assert await profile_counts(client, "bob") == (0, 0)
    assert await profile_counts(client, "alice") == (0, 0)
    assert len(emitted.named("user.unfollowed")) == 1


async def test_following_yourself_is_422_and_unknown_user_404(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")

    itself = await client.post("/api/v1/users/alice/follow", headers=alice.headers)
    unknown = await client.post("/api/v1/users/nobody_here/follow", headers=alice.headers)
    anonymous = await client.post("/api/v1/users/alice/follow")

    assert itself.status_code == 422
    assert itself.headers["content-type"].startswith("application/problem+json")
    assert "yourself" in itself.json()["detail"]
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert anonymous.status_code == 401


async def test_mutual_follows_concurrently_end_with_exact_counters(client: httpx.AsyncClient, make_users) -> None:
    import asyncio

    alice, bob = await make_users("alice", "bob")

    results = await asyncio.gather(
        client.post("/api/v1/users/bob/follow", headers=alice.headers),
        client.post("/api/v1/users/alice/follow", headers=bob.headers),
    )

    assert [r.status_code for r in results] == [200, 200]
    assert await profile_counts(client, "alice") == (1, 1)
    assert await profile_counts(client, "bob") == (1, 1)


async def test_followers_and_following_lists_page_newest_first(client: httpx.AsyncClient, make_users) -> None:
    star, *fans = await make_users("star", *[f"fan{i}" for i in range(5)])
    for fan in fans:
        await client.post("/api/v1/users/star/follow", headers=fan.headers)

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/users/star/followers", params=params)).json()
        seen += [entry["user"]["username"] for entry in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    following = (await client.get("/api/v1/users/fan0/following", headers=star.headers)).json()

    assert seen == [f"fan{i}" for i in reversed(range(5))]
    assert [entry["user"]["username"] for entry in following["items"]] == ["star"]
    assert following["items"][0]["since"]


async def test_lists_reject_bad_cursor_and_limit(client: httpx.AsyncClient) -> None:
    await create_user(client, "alice")

    bad_cursor = await client.get("/api/v1/users/alice/followers", params={"cursor": "not-a-cursor"})
    bad_limit = await client.get("/api/v1/users/alice/followers", params={"limit": 0})
    too_big = await client.get("/api/v1/users/alice/following", params={"limit": 101})

    assert bad_cursor.status_code == 400
    assert bad_cursor.headers["content-type"].startswith("application/problem+json")
    assert bad_limit.status_code == 400
    assert too_big.status_code == 400
