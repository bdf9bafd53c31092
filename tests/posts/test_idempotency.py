from __future__ import annotations

import asyncio

import httpx


async def post_with_key(client: httpx.AsyncClient, user, key: str, content: str = "once") -> httpx.Response:
    return await client.post(
        "/api/v1/posts", json={"content": content}, headers={**user.headers, "Idempotency-Key": key}
    )


async def timeline_ids(client: httpx.AsyncClient, username: str) -> list[str]:
    return [p["id"] for p in (await client.get(f"/api/v1/users/{username}/posts")).json()["items"]]


async def test_retry_with_the_same_key_returns_the_same_post(client: httpx.AsyncClient, make_users) -> None:
    (alice,) = await make_users("alice")

    first = await post_with_key(client, alice, "key-1")
    retry = await post_with_key(client, alice, "key-1")
    other = await post_with_key(client, alice, "key-2")

    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert other.json()["id"] != first.json()["id"]
    assert len(await timeline_ids(client, "alice")) == 2
    assert (await client.get("/api/v1/users/alice")).json()["posts_count"] == 2


async def test_concurrent_duplicates_create_one_post(client: httpx.AsyncClient, make_users) -> None:
    (alice,) = await make_users("alice")

    responses = await asyncio.gather(*(post_with_key(client, alice, "same-key") for _ in range(8)))

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await timeline_ids(client, "alice")) == 1


async def test_keys_are_per_user_and_per_body(client: httpx.AsyncClient, make_users) -> None:
    alice, bob = await make_users("alice", "bob")

    alices = await post_with_key(client, alice, "shared")
    bobs = await post_with_key(client, bob, "shared")
    reused = await post_with_key(client, alice, "shared", content="something else")
    invalid = await post_with_key(client, alice, "bad key with spaces")

    assert bobs.status_code == 201
    assert bobs.json()["id"] != alices.json()["id"]
    assert reused.status_code == 422
    assert "different request" in reused.json()["detail"]
    assert invalid.status_code == 422


async def test_a_failed_create_does_not_burn_the_key(client: httpx.AsyncClient, make_users) -> None:
    (alice,) = await make_users("alice")

    failed = await client.post(
        "/api/v1/posts", json={"content": " "}, headers={**alice.headers, "Idempotency-Key": "k"}
    )
    fixed_body_same_key = await client.post(
        "/api/v1/posts", json={"content": " "}, headers={**alice.headers, "Idempotency-Key": "k"}
    )

    assert failed.status_code == 422
    assert fixed_body_same_key.status_code == 422  # re-validated, not replayed as a success
    assert await timeline_ids(client, "alice") == []
