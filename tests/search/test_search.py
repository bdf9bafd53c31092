"""Search: posts by a word, users by part of their name, hashtags by prefix; never what the viewer may not see."""

from __future__ import annotations

import httpx
import pytest

from tests.posts.helpers import befriend, new_post


async def search(client: httpx.AsyncClient, q: str, search_type: str = "posts", headers=None, **params) -> dict:
    response = await client.get("/api/v1/search", params={"q": q, "type": search_type, **params}, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


def ids(page: dict) -> list[str]:
    return [item["id"] for item in page["items"]]


async def test_finds_a_post_by_a_word_in_it(client: httpx.AsyncClient, make_users) -> None:
    (alice,) = await make_users("alice")
    post = await new_post(client, alice, "Gardening tips: tomatoes love the sun")
    await new_post(client, alice, "Nothing about plants here")

    assert ids(await search(client, "tomatoes")) == [post["id"]]
    assert ids(await search(client, "tomato")) == [post["id"]]  # English stemming
    assert ids(await search(client, "GARDENING")) == [post["id"]]
    assert (await search(client, "tomatoes"))["items"][0]["type"] == "post"
    assert ids(await search(client, "zucchini")) == []


async def test_words_of_other_languages_match_exactly(client: httpx.AsyncClient, make_users) -> None:
    (alice,) = await make_users("alice")
    post = await new_post(client, alice, "Schöne Grüße aus München")
    assert ids(await search(client, "München")) == [post["id"]]


async def test_never_returns_a_post_the_viewer_may_not_see(client: httpx.AsyncClient, make_users) -> None:
    alice, bob, carol, mallory = await make_users("alice", "bob", "carol", "mallory")
    await client.post("/api/v1/users/alice/follow", headers=bob.headers)
    await befriend(client, alice, carol)
    public = await new_post(client, alice, "secret recipe public edition")
    followers = await new_post(client, alice, "secret recipe for followers", visibility="followers")
    friends = await new_post(client, alice, "secret recipe for friends", visibility="friends")
    private = await new_post(client, alice, "secret recipe just for me", visibility="private")
    deleted = await new_post(client, alice, "secret recipe deleted")
    await client.delete(f"/api/v1/posts/{deleted['id']}", headers=alice.headers)
    await client.post("/api/v1/users/mallory/block", headers=alice.headers)

    def found(page: dict) -> set[str]:
        return set(ids(page))

    assert found(await search(client, "recipe")) == {public["id"]}
    assert found(await search(client, "recipe", headers=bob.headers)) == {public["id"], followers["id"]}
    assert found(await search(client, "recipe", headers=carol.headers)) == {
        public["id"],
        followers["id"],
        friends["id"],
    }
    assert found(await search(client, "recipe", headers=alice.headers)) == {
        public["id"],
        followers["id"],
        friends["id"],
        private["id"],
    }
    assert found(await search(client, "recipe", headers=mallory.headers)) == set()


async def test_finds_a_user_by_part_of_their_name(client: httpx.AsyncClient, make_users) -> None:
    from tests.helpers import create_user

    wonder = await create_user(client, "alice_wonderland", display_name="Alice Liddell")
    await make_users("bob_builder")

    assert [u["username"] for u in (await search(client, "wonder", "users"))["items"]] == ["alice_wonderland"]
    assert [u["username"] for u in (await search(client, "liddell", "users"))["items"]] == ["alice_wonderland"]
    assert [u["username"] for u in (await search(client, "wonderlnd", "users"))["items"]] == ["alice_wonderland"]
    item = (await search(client, "wonder", "users"))["items"][0]
    assert item == {
        "type": "user", "id": wonder.id, "username": "alice_wonderland", "display_name": "Alice Liddell",
        "avatar_media_id": None,
    }  # fmt: skip
    assert (await search(client, "100%_", "users"))["items"] == []  # LIKE wildcards are literal


async def test_users_with_a_block_are_not_found(client: httpx.AsyncClient, make_users) -> None:
    alice, _ = await make_users("alice", "mallory")
    await client.post("/api/v1/users/mallory/block", headers=alice.headers)
    assert (await search(client, "mallory", "users", headers=alice.headers))["items"] == []
    assert len((await search(client, "mallory", "users"))["items"]) == 1


async def test_hashtags_by_prefix_count_public_posts_only(client: httpx.AsyncClient, make_users) -> None:
    (alice,) = await make_users("alice")
    await new_post(client, alice, "#Python is fun")
    await new_post(client, alice, "more #python")
    await new_post(client, alice, "#pythonista here")
    await new_post(client, alice, "#pyramid")
    await new_post(client, alice, "#pysecret", visibility="private")

    page = await search(client, "#PYTH", "hashtags")
    assert page["items"] == [
        {"type": "hashtag", "tag": "python", "posts_count": 2},
        {"type": "hashtag", "tag": "pythonista", "posts_count": 1},
    ]
    first = await search(client, "py", "hashtags", limit=2)
    second = await search(client, "py", "hashtags", limit=2, cursor=first["next_cursor"])
    assert [h["tag"] for h in first["items"] + second["items"]] == ["pyramid", "python", "pythonista"]
    assert second["next_cursor"] is None


async def test_search_pages_never_repeat(client: httpx.AsyncClient, make_users) -> None:
    (alice,) = await make_users("alice")
    posted = {(await new_post(client, alice, f"coffee note {i} " + "coffee " * (i % 4)))["id"] for i in range(12)}
    seen: list[str] = []
    cursor = None
    while True:
        page = await search(client, "coffee", limit=5, **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 12
    assert set(seen) == posted


@pytest.mark.parametrize(
    ("params", "status"),
    [({"q": "   "}, 422), ({}, 400), ({"q": "x", "type": "places"}, 400), ({"q": "x", "cursor": "nope"}, 400)],
)
async def test_bad_searches_are_client_errors(client: httpx.AsyncClient, params: dict, status: int) -> None:
    response = await client.get("/api/v1/search", params=params)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_hashtag_counts_follow_edits_deletes_and_purges(client: httpx.AsyncClient, make_users) -> None:
    from salon.posts.tables import Post

    alice, bob = await make_users("alice", "bob")
    first = await new_post(client, alice, "#rust one")
    second = await new_post(client, alice, "#rust two", visibility="followers")
    bobs = await new_post(client, bob, "#rust and #go")

    async def counts() -> dict[str, int]:
        pages = [await search(client, prefix, "hashtags") for prefix in ("#r", "#g")]
        return {item["tag"]: item["posts_count"] for page in pages for item in page["items"]}

    async def edit(post: dict, **body: str) -> None:
        response = await client.patch(f"/api/v1/posts/{post['id']}", json=body, headers=alice.headers)
        assert response.status_code == 200, response.text

    assert await counts() == {"go": 1, "rust": 2}
    await edit(first, visibility="followers")
    assert await counts() == {"go": 1, "rust": 1}
    await edit(second, visibility="public")
    await edit(second, content="now #golang")
    assert await counts() == {"go": 1, "golang": 1, "rust": 1}
    assert (await client.delete(f"/api/v1/posts/{bobs['id']}", headers=bob.headers)).status_code == 204
    assert await counts() == {"golang": 1}
    await Post.raw("DELETE FROM users WHERE id = {}::uuid", alice.id)  # an account purge: posts go by cascade
    assert await counts() == {}
