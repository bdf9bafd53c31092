from __future__ import annotations

import asyncio

import httpx

from tests.posts.helpers import all_pages, new_post


async def test_forty_concurrent_likes_count_exactly(client: httpx.AsyncClient, make_users) -> None:
    author, *fans = await make_users("author", *[f"fan{i}" for i in range(40)])
    post = await new_post(client, author, "like me")

    responses = await asyncio.gather(
        *(client.post(f"/api/v1/posts/{post['id']}/like", headers=f.headers) for f in fans)
    )

    assert {response.status_code for response in responses} == {200}
    assert (await client.get(f"/api/v1/posts/{post['id']}")).json()["like_count"] == 40
    likers = await all_pages(client, f"/api/v1/posts/{post['id']}/likes", limit=15)
    assert sorted(entry["user"]["username"] for entry in likers) == sorted(fan.username for fan in fans)

    # Concurrent unlikes plus repeated unlikes end at exactly zero, never below.
    await asyncio.gather(
        *(client.delete(f"/api/v1/posts/{post['id']}/like", headers=fan.headers) for fan in fans + fans[:10])
    )
    assert (await client.get(f"/api/v1/posts/{post['id']}")).json()["like_count"] == 0


async def test_like_is_idempotent_and_sets_viewer_state(client: httpx.AsyncClient, make_users, emitted) -> None:
    alice, bob = await make_users("alice", "bob")
    post = await new_post(client, alice)

    first = await client.post(f"/api/v1/posts/{post['id']}/like", headers=bob.headers)
    second = await client.post(f"/api/v1/posts/{post['id']}/like", headers=bob.headers)
    as_bob = (await client.get(f"/api/v1/posts/{post['id']}", headers=bob.headers)).json()
    as_alice = (await client.get(f"/api/v1/posts/{post['id']}", headers=alice.headers)).json()
    unliked = await client.delete(f"/api/v1/posts/{post['id']}/like", headers=bob.headers)
    unknown = await client.post("/api/v1/posts/01a200ed-400e-7334-b0c4-e1bff7eef95b/like", headers=bob.headers)

    assert first.json() == {"liked": True, "like_count": 1}
    assert second.json() == {"liked": True, "like_count": 1}
    assert as_bob["viewer"]["liked"] is True
    assert as_alice["viewer"]["liked"] is False
    assert unliked.json() == {"liked": False, "like_count": 0}
    assert unknown.status_code == 404
    liked = emitted.named("post.liked")
    assert len(liked) == 1
    assert liked[0]["post_author_id"] == alice.id
    assert liked[0]["actor_id"] == bob.id
    assert len(emitted.named("post.unliked")) == 1


async def test_reposts_public_only_and_listed(client: httpx.AsyncClient, make_users, emitted) -> None:
    alice, bob, carol = await make_users("alice", "bob", "carol")
    await client.post("/api/v1/users/alice/follow", headers=bob.headers)
    public = await new_post(client, alice, "share me")
    followers_only = await new_post(client, alice, "just us", visibility="followers")

    reposted = await client.post(f"/api/v1/posts/{public['id']}/repost", headers=bob.headers)
    twice = await client.post(f"/api/v1/posts/{public['id']}/repost", headers=bob.headers)
    await client.post(f"/api/v1/posts/{public['id']}/repost", headers=carol.headers)
    restricted = await client.post(f"/api/v1/posts/{followers_only['id']}/repost", headers=bob.headers)
    reposters = (await client.get(f"/api/v1/posts/{public['id']}/reposts")).json()
    as_bob = (await client.get(f"/api/v1/posts/{public['id']}", headers=bob.headers)).json()
    undone = await client.delete(f"/api/v1/posts/{public['id']}/repost", headers=bob.headers)

    assert reposted.json() == {"reposted": True, "repost_count": 1}
    assert twice.json() == {"reposted": True, "repost_count": 1}
    assert restricted.status_code == 422
    assert [entry["user"]["username"] for entry in reposters["items"]] == ["carol", "bob"]
    assert as_bob["viewer"]["reposted"] is True
    assert undone.json() == {"reposted": False, "repost_count": 1}
    assert len(emitted.named("post.reposted")) == 2
    assert emitted.named("post.unreposted") == [
        {"post_id": public["id"], "post_author_id": alice.id, "actor_id": bob.id}
    ]


async def test_quotes_and_replies_count_and_list(client: httpx.AsyncClient, make_users, emitted) -> None:
    alice, bob = await make_users("alice", "bob")
    post = await new_post(client, alice, "original")
    quote = await new_post(client, bob, "so true", quote_of_id=post["id"])
    reply1 = await new_post(client, bob, "first reply", reply_to_id=post["id"])
    reply2 = await new_post(client, alice, "second reply", reply_to_id=post["id"])
    deep = await new_post(client, bob, "deep", reply_to_id=reply1["id"])

    original = (await client.get(f"/api/v1/posts/{post['id']}")).json()
    quotes = (await client.get(f"/api/v1/posts/{post['id']}/quotes")).json()
    replies = (await client.get(f"/api/v1/posts/{post['id']}/replies")).json()
    context = (await client.get(f"/api/v1/posts/{reply1['id']}/context")).json()
    root_context = await client.get(f"/api/v1/posts/{post['id']}/context", params={"limit": 2})

    assert (original["quote_count"], original["reply_count"]) == (1, 2)
    assert quote["quote_of"]["id"] == post["id"]
    assert quote["quote_of"]["type"] == "post"
    assert [p["id"] for p in quotes["items"]] == [quote["id"]]
    assert [p["id"] for p in replies["items"]] == [reply1["id"], reply2["id"]]
    assert [p["id"] for p in context["ancestors"]] == [post["id"]]
    assert context["post"]["id"] == reply1["id"]
    assert [p["id"] for p in context["descendants"]] == [deep["id"]]
    assert deep["root_id"] == post["id"]
    first = root_context.json()
    rest = (
        await client.get(f"/api/v1/posts/{post['id']}/context", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [p["id"] for p in first["descendants"] + rest["descendants"]] == [reply1["id"], reply2["id"], deep["id"]]
    assert rest["next_cursor"] is None
    replied = emitted.named("post.replied")
    assert replied[0]["reply_to_author_id"] == alice.id
    assert replied[0]["author_id"] == bob.id
    assert emitted.named("post.quoted")[0]["quote_of_author_id"] == alice.id


async def test_bookmarks_are_private_and_idempotent(client: httpx.AsyncClient, make_users) -> None:
    alice, bob = await make_users("alice", "bob")
    first = await new_post(client, alice, "one")
    second = await new_post(client, alice, "two")
    secret = await new_post(client, bob, "mine only", visibility="private")

    await client.post(f"/api/v1/posts/{first['id']}/bookmark", headers=bob.headers)
    again = await client.post(f"/api/v1/posts/{first['id']}/bookmark", headers=bob.headers)
    await client.post(f"/api/v1/posts/{second['id']}/bookmark", headers=bob.headers)
    hidden = await client.post(f"/api/v1/posts/{secret['id']}/bookmark", headers=alice.headers)
    bobs = (await client.get("/api/v1/bookmarks", headers=bob.headers)).json()
    alices = (await client.get("/api/v1/bookmarks", headers=alice.headers)).json()
    anonymous = await client.get("/api/v1/bookmarks")
    await client.delete(f"/api/v1/posts/{second['id']}", headers=alice.headers)
    removed = await client.delete(f"/api/v1/posts/{first['id']}/bookmark", headers=bob.headers)
    after = (await client.get("/api/v1/bookmarks", headers=bob.headers)).json()

    assert again.json() == {"bookmarked": True}
    assert hidden.status_code == 404
    assert [p["id"] for p in bobs["items"]] == [second["id"], first["id"]]
    assert all(p["viewer"]["bookmarked"] for p in bobs["items"])
    assert alices["items"] == []
    assert anonymous.status_code == 401
    assert removed.json() == {"bookmarked": False}
    assert after["items"] == []


async def test_stats_for_me(client: httpx.AsyncClient, make_users) -> None:
    alice, bob = await make_users("alice", "bob")
    post = await new_post(client, alice)
    await client.post("/api/v1/users/alice/follow", headers=bob.headers)
    await client.post(f"/api/v1/posts/{post['id']}/like", headers=bob.headers)
    await client.post(f"/api/v1/posts/{post['id']}/repost", headers=bob.headers)
    await new_post(client, bob, "reply", reply_to_id=post["id"])
    await client.post(f"/api/v1/posts/{post['id']}/bookmark", headers=alice.headers)

    stats = (await client.get("/api/v1/users/me/stats", headers=alice.headers)).json()

    assert stats == {
        "posts_count": 1,
        "followers_count": 1,
        "following_count": 0,
        "friends_count": 0,
        "likes_received": 1,
        "reposts_received": 1,
        "replies_received": 1,
        "quotes_received": 0,
        "bookmarks_count": 1,
        "goals_active": 0,  # the goal numbers are tested in tests/goals
        "goals_completed": 0,
        "longest_streak": 0,
        "memories_shared": 0,
    }
    assert (await client.get("/api/v1/users/me/stats")).status_code == 401
