"""Explore, trending hashtags and the posts of a hashtag."""

from __future__ import annotations

import httpx

from tests.posts.helpers import new_post


async def age_post(post_id: str, hours: float) -> None:
    """Test setup: move a post's creation time into the past."""
    from salon.posts.tables import Post

    await Post.raw(
        "UPDATE posts SET created_at = now() - make_interval(secs => {}) WHERE id = {}::uuid", hours * 3600, post_id
    )


async def like(client: httpx.AsyncClient, post: dict, *fans) -> None:
    for fan in fans:
        assert (await client.post(f"/api/v1/posts/{post['id']}/like", headers=fan.headers)).status_code == 200


async def test_explore_works_signed_out_and_ranks_by_engagement_velocity(client: httpx.AsyncClient, make_users) -> None:
    alice, bob, carol, *fans = await make_users("alice", "bob", "carol", "fan1", "fan2", "fan3")
    quiet = await new_post(client, alice, "quiet")
    popular = await new_post(client, bob, "popular")
    await like(client, popular, *fans)
    older_popular = await new_post(client, carol, "was popular a day ago")
    await like(client, older_popular, *fans)
    await age_post(older_popular["id"], 30)
    too_old = await new_post(client, carol, "from three days ago")
    await age_post(too_old["id"], 72)
    await new_post(client, alice, "a reply", reply_to_id=popular["id"])
    await new_post(client, alice, "followers only", visibility="followers")

    response = await client.get("/api/v1/explore")

    assert response.status_code == 200
    assert [post["id"] for post in response.json()["items"]] == [popular["id"], quiet["id"], older_popular["id"]]


async def test_explore_applies_author_diversity_and_pages_without_repeats(
    client: httpx.AsyncClient, make_users
) -> None:
    star, *others = await make_users("star", "other1", "other2", "other3", "other4")
    star_posts = [await new_post(client, star, f"star {i}") for i in range(8)]
    for post in star_posts:
        await like(client, post, *others)
    other_posts = [await new_post(client, author, "hello") for author in others]

    first = (await client.get("/api/v1/explore", params={"limit": 5})).json()
    second = (await client.get("/api/v1/explore", params={"limit": 5, "cursor": first["next_cursor"]})).json()
    rest = (await client.get("/api/v1/explore", params={"limit": 5, "cursor": second["next_cursor"]})).json()
    shown = [post["id"] for post in first["items"] + second["items"] + rest["items"]]

    assert sum(post["author"]["id"] == star.id for post in first["items"]) <= 3
    assert len(shown) == len(set(shown))
    assert set(shown) == {post["id"] for post in star_posts + other_posts}
    assert rest["next_cursor"] is None


async def test_explore_hides_blocked_and_muted_authors_from_the_viewer(client: httpx.AsyncClient, make_users) -> None:
    viewer, blocked, muted, fine = await make_users("viewer", "blocked", "muted", "fine")
    for author in (blocked, muted, fine):
        await new_post(client, author, f"by {author.username}")
    await client.post("/api/v1/users/blocked/block", headers=viewer.headers)
    await client.post("/api/v1/users/muted/mute", headers=viewer.headers)

    items = (await client.get("/api/v1/explore", headers=viewer.headers)).json()["items"]
    assert [post["author"]["username"] for post in items] == ["fine"]
    assert len((await client.get("/api/v1/explore")).json()["items"]) == 3


async def test_explore_rejects_bad_cursors(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/explore", params={"cursor": "nope"})).status_code == 400
    from salon.lib.pagination import encode_cursor

    expired = await client.get("/api/v1/explore", params={"cursor": encode_cursor("gone", 20)})
    assert expired.status_code == 410
    assert expired.json()["code"] == "cursor_expired"


async def test_trending_shows_a_tag_used_by_5_distinct_authors_in_the_last_hour(
    client: httpx.AsyncClient, make_users
) -> None:
    from salon.feed.jobs import refresh_trending

    authors = await make_users(*(f"author{i}" for i in range(6)))
    for author in authors[:5]:
        await new_post(client, author, "Loving #SalonDay")
    for author in authors[:4]:
        await new_post(client, author, "#almost there")
    for i in range(10):
        await new_post(client, authors[5], f"#spam number {i}")
    await new_post(client, authors[5], "#salonday hidden", visibility="private")

    await refresh_trending({})  # the cron job, as the worker runs it every minute
    body = (await client.get("/api/v1/trends/hashtags")).json()

    assert [trend["tag"] for trend in body["items"]] == ["salonday"]
    trend = body["items"][0]
    assert (trend["posts_count"], trend["authors_count"]) == (5, 5)
    assert 4.9 < trend["score"] <= 5.0  # five fresh uses, barely decayed


async def test_trending_is_computed_on_read_when_missing(client: httpx.AsyncClient, make_users) -> None:
    authors = await make_users(*(f"author{i}" for i in range(5)))
    for author in authors:
        await new_post(client, author, "#fresh")
    body = (await client.get("/api/v1/trends/hashtags", params={"limit": 1})).json()
    assert [trend["tag"] for trend in body["items"]] == ["fresh"]


async def test_hashtag_posts_are_visible_ones_newest_first(client: httpx.AsyncClient, make_users) -> None:
    alice, bob, viewer = await make_users("alice", "bob", "viewer")
    first = await new_post(client, alice, "#Cats rule")
    await new_post(client, alice, "#cats only for me", visibility="private")
    second = await new_post(client, bob, "more #CATS")
    await new_post(client, bob, "#dogs")

    def ids(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return [post["id"] for post in response.json()["items"]]

    assert ids(await client.get("/api/v1/hashtags/cats/posts")) == [second["id"], first["id"]]
    assert ids(await client.get("/api/v1/hashtags/%23Cats/posts", params={"limit": 1})) == [second["id"]]
    await client.post("/api/v1/users/bob/mute", headers=viewer.headers)
    assert ids(await client.get("/api/v1/hashtags/cats/posts", headers=viewer.headers)) == [first["id"]]
    assert ids(await client.get("/api/v1/hashtags/unknown/posts")) == []
