from __future__ import annotations

import httpx

from tests.helpers import create_user
from tests.posts.helpers import new_post


async def test_create_returns_full_post_json(client: httpx.AsyncClient, make_users, emitted) -> None:
    alice, bob = await make_users("alice", "bob")

    post = await new_post(client, alice, "  Hi @Bob and @nobody_known #Café #café #123 x#no  ", visibility="public")

    assert post["type"] == "post"
    assert post["kind"] == "post"
    assert post["content"] == "Hi @Bob and @nobody_known #Café #café #123 x#no"
    assert post["author"] == {"id": alice.id, "username": "alice", "display_name": "alice", "avatar_media_id": None}
    assert post["visibility"] == "public"
    assert post["media_ids"] == []
    assert (post["like_count"], post["repost_count"], post["reply_count"], post["quote_count"]) == (0, 0, 0, 0)
    assert post["viewer"] == {"liked": False, "reposted": False, "bookmarked": False}
    assert post["reply_to"] is None
    assert post["quote_of"] is None
    assert post["entities"]["mentions"] == [{"user_id": bob.id, "username": "bob", "start": 3, "end": 7}]
    assert post["entities"]["hashtags"] == [
        {"tag": "café", "text": "Café", "start": 26, "end": 31},
        {"tag": "café", "text": "café", "start": 32, "end": 37},
    ]
    content = post["content"]
    assert content[3:7] == "@Bob"
    assert content[26:31] == "#Café"
    created = emitted.named("post.created")[0]
    assert created["post_id"] == post["id"]
    assert created["hashtags"] == ["café"]
    assert created["mentioned_user_ids"] == [bob.id]
    assert emitted.named("user.mentioned") == [
        {"post_id": post["id"], "author_id": alice.id, "mentioned_user_id": bob.id, "visibility": "public"}
    ]
    assert (await client.get(f"/api/v1/users/{alice.username}")).json()["posts_count"] == 1


async def test_bad_input_is_a_problem(client: httpx.AsyncClient, settings) -> None:
    alice = await create_user(client, "alice")

    async def attempt(body: dict) -> httpx.Response:
        return await client.post("/api/v1/posts", json=body, headers=alice.headers)

    empty = await attempt({"content": "   \n "})
    too_long = await attempt({"content": "x" * (settings.post_max_length + 1)})
    longest = await attempt({"content": "x" * settings.post_max_length})
    bad_visibility = await attempt({"content": "hi", "visibility": "everyone"})
    unknown_field = await attempt({"content": "hi", "colour": "red"})
    unknown_reply = await attempt({"content": "hi", "reply_to_id": "01a200ed-400e-7334-b0c4-e1bff7eef95b"})
    garbage_reply = await attempt({"content": "hi", "reply_to_id": "garbage"})
    media = await attempt({"content": "hi", "media_ids": ["01a200ed-400e-7334-b0c4-e1bff7eef95b"]})

    for response in (empty, too_long, unknown_reply, garbage_reply, media):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert "empty" in empty.json()["detail"]
    assert str(settings.post_max_length) in too_long.json()["detail"]
    assert longest.status_code == 201
    assert bad_visibility.status_code == 400
    assert unknown_field.status_code == 400
    assert unknown_reply.json()["field"] == "reply_to_id"
    assert media.json()["field"] == "media_ids"
    assert (await client.get("/api/v1/posts/not-a-uuid")).status_code == 404


async def test_edit_keeps_history_and_reindexes_entities(client: httpx.AsyncClient, make_users, emitted) -> None:
    alice, bob, carol = await make_users("alice", "bob", "carol")
    post = await new_post(client, alice, "first #one @bob")

    edited = await client.patch(
        f"/api/v1/posts/{post['id']}", json={"content": "second #two @bob @carol"}, headers=alice.headers
    )
    await client.patch(f"/api/v1/posts/{post['id']}", json={"content": "third"}, headers=alice.headers)
    history = (await client.get(f"/api/v1/posts/{post['id']}/history")).json()
    first_page = (await client.get(f"/api/v1/posts/{post['id']}/history", params={"limit": 1})).json()
    second_page = (
        await client.get(
            f"/api/v1/posts/{post['id']}/history", params={"limit": 2, "cursor": first_page["next_cursor"]}
        )
    ).json()

    assert edited.status_code == 200
    assert edited.json()["content"] == "second #two @bob @carol"
    assert edited.json()["edited_at"] is not None
    assert [tag["tag"] for tag in edited.json()["entities"]["hashtags"]] == ["two"]
    assert [version["content"] for version in history["items"]] == [
        "third",
        "second #two @bob @carol",
        "first #one @bob",
    ]
    assert history["items"][0]["replaced_at"] is None
    assert history["items"][1]["replaced_at"] is not None
    assert [v["content"] for v in first_page["items"] + second_page["items"]] == [
        v["content"] for v in history["items"]
    ]
    assert second_page["next_cursor"] is None
    # Only the newly mentioned user is notified on edit.
    assert [event["mentioned_user_id"] for event in emitted.named("user.mentioned")] == [bob.id, carol.id]
    assert len(emitted.named("post.updated")) == 2


async def test_only_the_author_edits(client: httpx.AsyncClient, make_users) -> None:
    alice, bob = await make_users("alice", "bob")
    public = await new_post(client, alice, "mine")
    private = await new_post(client, alice, "secret", visibility="private")

    forbidden = await client.patch(f"/api/v1/posts/{public['id']}", json={"content": "hacked"}, headers=bob.headers)
    hidden = await client.patch(f"/api/v1/posts/{private['id']}", json={"content": "hacked"}, headers=bob.headers)
    too_long = await client.patch(f"/api/v1/posts/{public['id']}", json={"content": "x" * 5000}, headers=alice.headers)

    assert forbidden.status_code == 403
    assert hidden.status_code == 404
    assert too_long.status_code == 422
    assert (await client.get(f"/api/v1/posts/{public['id']}")).json()["content"] == "mine"


async def test_delete_leaves_replies_readable_with_a_tombstone(client: httpx.AsyncClient, make_users, emitted) -> None:
    alice, bob = await make_users("alice", "bob")
    root = await new_post(client, alice, "root #gone")
    reply = await new_post(client, bob, "a reply", reply_to_id=root["id"])
    nested = await new_post(client, alice, "nested", reply_to_id=reply["id"])
    quote = await new_post(client, bob, "a quote", quote_of_id=root["id"])

    not_mine = await client.delete(f"/api/v1/posts/{root['id']}", headers=bob.headers)
    deleted = await client.delete(f"/api/v1/posts/{root['id']}", headers=alice.headers)
    deleted_again = await client.delete(f"/api/v1/posts/{root['id']}", headers=alice.headers)

    assert not_mine.status_code == 403
    assert deleted.status_code == 204
    assert deleted_again.status_code == 404
    assert (await client.get(f"/api/v1/posts/{root['id']}")).status_code == 404
    reply_now = (await client.get(f"/api/v1/posts/{reply['id']}")).json()
    assert reply_now["reply_to"] == {"type": "tombstone", "id": root["id"], "reason": "deleted"}
    quote_now = (await client.get(f"/api/v1/posts/{quote['id']}")).json()
    assert quote_now["quote_of"] == {"type": "tombstone", "id": root["id"], "reason": "deleted"}
    context = (await client.get(f"/api/v1/posts/{nested['id']}/context")).json()
    assert context["ancestors"][0] == {"type": "tombstone", "id": root["id"], "reason": "deleted"}
    assert context["ancestors"][1]["id"] == reply["id"]
    assert (await client.get(f"/api/v1/users/{alice.username}")).json()["posts_count"] == 1
    assert emitted.named("post.deleted")[0]["deleted_by_id"] == alice.id
    reply_and_deleted = await client.post(
        "/api/v1/posts", json={"content": "late", "reply_to_id": root["id"]}, headers=bob.headers
    )
    assert reply_and_deleted.status_code == 422


async def test_moderator_can_delete_anyones_post(client: httpx.AsyncClient, make_users) -> None:
    from salon.accounts.tables import User
    from tests.helpers import DEFAULT_PASSWORD

    alice, _mod = await make_users("alice", "mod")
    post = await new_post(client, alice, "rule breaking")
    await User.update({User.role: "moderator"}).where(User.username_key == "mod")
    login = await client.post("/api/v1/auth/login", json={"login": "mod", "password": DEFAULT_PASSWORD})
    mod_headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    deleted = await client.delete(f"/api/v1/posts/{post['id']}", headers=mod_headers)

    assert deleted.status_code == 204
    assert (await client.get(f"/api/v1/posts/{post['id']}")).status_code == 404


async def test_mentions_notify_only_users_who_may_see_and_have_no_block(
    client: httpx.AsyncClient, make_users, emitted
) -> None:
    alice, bob, carol, dave = await make_users("alice", "bob", "carol", "dave")
    await client.post("/api/v1/users/alice/block", headers=carol.headers)
    await client.post("/api/v1/users/alice/follow", headers=dave.headers)

    public = await new_post(client, alice, "hi @bob @carol @alice")
    followers_only = await new_post(client, alice, "psst @bob @dave", visibility="followers")

    mentioned = [(e["post_id"], e["mentioned_user_id"]) for e in emitted.named("user.mentioned")]
    assert mentioned == [(public["id"], bob.id), (followers_only["id"], dave.id)]
    assert [m["username"] for m in public["entities"]["mentions"]] == ["bob", "carol", "alice"]
