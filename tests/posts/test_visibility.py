"""Every visibility level against the author, a follower, a friend, a stranger, a blocked user and a signed-out
reader, everywhere a post can surface."""

from __future__ import annotations

import httpx
import pytest

from tests.posts.helpers import befriend, new_post

# Who may see a post of each visibility.
EXPECTED = {
    "public": {"author", "follower", "friend", "stranger", "anonymous"},
    "followers": {"author", "follower", "friend"},
    "friends": {"author", "friend"},
    "private": {"author"},
}
VIEWERS = ("author", "follower", "friend", "stranger", "blocked", "anonymous")


@pytest.fixture
async def cast(client: httpx.AsyncClient, make_users) -> dict:
    author, follower, friend, stranger, blocked = await make_users(
        "author", "follower", "friend", "stranger", "blocked"
    )
    await client.post("/api/v1/users/author/follow", headers=follower.headers)
    await befriend(client, friend, author)
    await client.post("/api/v1/users/author/follow", headers=blocked.headers)  # removed by the block below
    await client.post("/api/v1/users/blocked/block", headers=author.headers)
    posts = {level: await new_post(client, author, f"{level} post", visibility=level) for level in EXPECTED}
    # Something to find under each post: a public reply and a public quote by the author, and a like.
    for post in posts.values():
        await new_post(client, author, "reply", reply_to_id=post["id"])
        await new_post(client, author, "quote", quote_of_id=post["id"])
        await client.post(f"/api/v1/posts/{post['id']}/like", headers=author.headers)
    users = {"author": author, "follower": follower, "friend": friend, "stranger": stranger, "blocked": blocked}
    return {"posts": posts, "headers": {name: user.headers for name, user in users.items()} | {"anonymous": {}}}


@pytest.mark.parametrize("level", list(EXPECTED))
async def test_single_post_surfaces(client: httpx.AsyncClient, cast: dict, level: str) -> None:
    post_id = cast["posts"][level]["id"]
    for viewer in VIEWERS:
        headers = cast["headers"][viewer]
        allowed = viewer in EXPECTED[level]
        for path in ("", "/context", "/replies", "/quotes", "/likes", "/reposts", "/history"):
            response = await client.get(f"/api/v1/posts/{post_id}{path}", headers=headers)
            assert response.status_code == (200 if allowed else 404), (level, viewer, path, response.text)
            if not allowed:
                assert response.headers["content-type"].startswith("application/problem+json")


async def test_user_timeline_shows_only_what_each_viewer_may_see(client: httpx.AsyncClient, cast: dict) -> None:
    for viewer in VIEWERS:
        response = await client.get("/api/v1/users/author/posts", headers=cast["headers"][viewer])
        if viewer == "blocked":
            assert response.status_code == 404
            continue
        levels = {
            post["content"].removesuffix(" post") for post in response.json()["items"] if post["content"] != "quote"
        }
        assert levels == {level for level, seen in EXPECTED.items() if viewer in seen}, viewer


async def test_embedded_references_become_tombstones_for_those_who_may_not_see(
    client: httpx.AsyncClient, cast: dict, make_users
) -> None:
    (outsider,) = await make_users("outsider")
    # The author's public reply to the private post is visible to all, its parent is not.
    replies = await client.get(
        "/api/v1/users/author/posts", params={"include_replies": "true", "limit": 100}, headers=outsider.headers
    )
    to_private = [p for p in replies.json()["items"] if p["reply_to_id"] == cast["posts"]["private"]["id"]]

    assert len(to_private) == 1
    assert to_private[0]["reply_to"] == {
        "type": "tombstone",
        "id": cast["posts"]["private"]["id"],
        "reason": "unavailable",
    }


async def test_reply_and_quote_need_a_visible_target(client: httpx.AsyncClient, cast: dict) -> None:
    private_id = cast["posts"]["friends"]["id"]
    public_id = cast["posts"]["public"]["id"]

    as_stranger = await client.post(
        "/api/v1/posts", json={"content": "hi", "quote_of_id": private_id}, headers=cast["headers"]["stranger"]
    )
    as_friend = await client.post(
        "/api/v1/posts", json={"content": "hi", "quote_of_id": private_id}, headers=cast["headers"]["friend"]
    )
    blocked_reply = await client.post(
        "/api/v1/posts", json={"content": "hi", "reply_to_id": public_id}, headers=cast["headers"]["blocked"]
    )
    blocked_like = await client.post(f"/api/v1/posts/{public_id}/like", headers=cast["headers"]["blocked"])

    assert as_stranger.status_code == 422
    assert as_stranger.json()["field"] == "quote_of_id"
    assert as_friend.status_code == 201
    assert blocked_reply.status_code == 422
    assert blocked_like.status_code == 404


async def test_lists_hide_posts_of_users_with_a_block(client: httpx.AsyncClient, cast: dict, make_users) -> None:
    public_id = cast["posts"]["public"]["id"]
    (replier,) = await make_users("replier")
    await new_post(client, replier, "from replier", reply_to_id=public_id)
    await client.post("/api/v1/users/replier/block", headers=cast["headers"]["stranger"])

    as_stranger = (await client.get(f"/api/v1/posts/{public_id}/replies", headers=cast["headers"]["stranger"])).json()
    as_follower = (await client.get(f"/api/v1/posts/{public_id}/replies", headers=cast["headers"]["follower"])).json()

    assert [p["content"] for p in as_stranger["items"]] == ["reply"]
    assert [p["content"] for p in as_follower["items"]] == ["reply", "from replier"]
