from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.helpers import QueryLog
from tests.posts.helpers import new_post


async def test_paging_while_posts_arrive_yields_each_post_once(client: httpx.AsyncClient, make_users) -> None:
    (author,) = await make_users("author")
    original = [(await new_post(client, author, f"post {i}"))["id"] for i in range(45)]

    seen: list[str] = []
    cursor = None
    for round_number in range(10):
        params: dict[str, Any] = {"limit": 20, **({"cursor": cursor} if cursor else {})}
        page, *_ = await asyncio.gather(
            client.get("/api/v1/users/author/posts", params=params),
            *(new_post(client, author, f"new {round_number}.{i}") for i in range(3)),
        )
        seen += [post["id"] for post in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break

    assert [post_id for post_id in seen if post_id in set(original)] == list(reversed(original))
    assert len(seen) == len(set(seen))


async def test_include_replies(client: httpx.AsyncClient, make_users) -> None:
    alice, bob = await make_users("alice", "bob")
    top = await new_post(client, alice, "top")
    reply = await new_post(client, alice, "reply", reply_to_id=top["id"])
    await new_post(client, bob, "not alice's", reply_to_id=top["id"])

    default = (await client.get("/api/v1/users/alice/posts")).json()
    with_replies = (await client.get("/api/v1/users/alice/posts", params={"include_replies": "true"})).json()
    unknown = await client.get("/api/v1/users/nobody_at_all/posts")
    bad_cursor = await client.get("/api/v1/users/alice/posts", params={"cursor": "%%%"})

    assert [p["id"] for p in default["items"]] == [top["id"]]
    assert [p["id"] for p in with_replies["items"]] == [reply["id"], top["id"]]
    assert unknown.status_code == 404
    assert bad_cursor.status_code == 400
    assert bad_cursor.headers["content-type"].startswith("application/problem+json")


async def test_a_page_costs_a_fixed_number_of_queries(
    client: httpx.AsyncClient, make_users, query_log: QueryLog
) -> None:
    alice, bob, carol = await make_users("alice", "bob", "carol")
    await client.post("/api/v1/users/alice/follow", headers=bob.headers)
    target = await new_post(client, carol, "quoted")
    for i in range(22):
        refs = {"quote_of_id": target["id"], "reply_to_id": target["id"]}
        post = await new_post(client, alice, f"post {i} #tag @carol", visibility="followers", **refs)
        await client.post(f"/api/v1/posts/{post['id']}/like", headers=bob.headers)
        await client.post(f"/api/v1/posts/{post['id']}/bookmark", headers=bob.headers)

    async def cost(path: str, limit: int) -> int:
        query_log.reset()
        response = await client.get(path, params={"limit": limit, "include_replies": "true"}, headers=bob.headers)
        assert response.status_code == 200
        assert len(response.json()["items"]) == limit
        return query_log.count

    # The page's own query plus one for hydrate (the posts, the posts they reference and the viewer's relations and
    # likes/reposts/bookmarks together), after the lookups a path needs first: a profile's owner (2: the user and a
    # block check) and the viewer's relation to them, a quoted post's visibility. Before hydrate read it all in one
    # query, each page cost 3 more.
    for path, most in (
        ("/api/v1/users/alice/posts?include_replies=true", 5),
        ("/api/v1/bookmarks", 2),
        (f"/api/v1/posts/{target['id']}/quotes", 3),
    ):
        one, twenty = await cost(path, 1), await cost(path, 20)
        assert one == twenty <= most, (path, str(query_log))
