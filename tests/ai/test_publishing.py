"""Publishing conversations as posts: immutable snapshots, who may read them, forks of them, unpublishing."""

from __future__ import annotations

from typing import Any

import httpx

from salon.ai.standin import Answer, GeminiStandIn
from salon.ai.tables import SharedConversation, SharedMessage
from tests.ai.conftest import new_conversation, send
from tests.feed.helpers import feed, follow
from tests.helpers import QueryLog, TestUser, create_user

API = "/api/v1/ai/conversations"
SHARED = "/api/v1/ai/shared"


async def conversation_with_turns(client: httpx.AsyncClient, user: TestUser, *contents: str, **body: Any) -> dict:
    conversation = await new_conversation(client, user, **body)
    for content in contents:
        await send(client, user, conversation["id"], content)
    return conversation


async def messages_of(client: httpx.AsyncClient, user: TestUser, conversation_id: str) -> list[dict]:
    response = await client.get(f"{API}/{conversation_id}/messages", params={"limit": 100}, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def publish(client: httpx.AsyncClient, user: TestUser, conversation_id: str, **body: Any) -> dict:
    response = await client.post(f"{API}/{conversation_id}/publish", json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()


def turns(items: list[dict]) -> list[tuple[int, str, str, str]]:
    return [(m["seq"], m["role"], m["content"], m["status"]) for m in items]


async def test_a_published_conversation_reaches_a_followers_feed_and_its_shared_url(
    client: httpx.AsyncClient, standin: GeminiStandIn, run_jobs: Any
) -> None:
    alice = await create_user(client, "alice")
    bob = await create_user(client, "bob")
    await follow(client, bob, alice)
    await feed(client, bob, algorithm="chronological")  # bob's timeline exists: the post must arrive by fan-out
    conversation = await conversation_with_turns(client, alice, "What are tides?", "And neap tides?", title="Tides")

    published = await publish(client, alice, conversation["id"], caption="Learned about #tides today")
    post = published["post"]
    await run_jobs()

    assert post["kind"] == "conversation"
    assert post["content"] == "Learned about #tides today"
    assert post["conversation"]["title"] == "Tides"
    assert post["conversation"]["message_count"] == 4
    assert post["conversation"]["fork_count"] == 0
    assert post["conversation"]["preview"] == "What are tides?"  # no summary chosen: the first message
    bobs_feed = (await feed(client, bob, algorithm="chronological"))["items"]
    assert [item["post"]["id"] for item in bobs_feed] == [post["id"]]
    assert bobs_feed[0]["post"]["conversation"] == post["conversation"]

    shared = (await client.get(f"{SHARED}/{post['id']}", headers=bob.headers)).json()
    signed_out = await client.get(f"{SHARED}/{post['id']}")
    assert signed_out.status_code == 200  # a public post's snapshot is readable without signing in
    assert (shared["post_id"], shared["title"], shared["message_count"]) == (post["id"], "Tides", 4)
    assert shared["author"]["username"] == "alice"
    original = await messages_of(client, alice, conversation["id"])
    assert turns(shared["messages"]) == turns(original)
    assert {m["id"] for m in shared["messages"]}.isdisjoint(m["id"] for m in original)
    assert "system_prompt" not in shared


async def test_the_snapshot_never_changes_with_the_conversation(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice = await create_user(client, "alice")
    conversation = await conversation_with_turns(client, alice, "one", "two", title="Before")
    post = (await publish(client, alice, conversation["id"]))["post"]
    before = (await client.get(f"{SHARED}/{post['id']}")).json()

    await send(client, alice, conversation["id"], "three, after publishing")
    await client.patch(f"{API}/{conversation['id']}", json={"title": "After"}, headers=alice.headers)
    assert (await client.delete(f"{API}/{conversation['id']}", headers=alice.headers)).status_code == 204

    after = (await client.get(f"{SHARED}/{post['id']}")).json()
    assert after == before
    assert after["title"] == "Before"
    assert [m["content"] for m in after["messages"] if m["role"] == "user"] == ["one", "two"]


async def test_publish_up_to_a_message_with_a_summary_as_the_preview(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice = await create_user(client, "alice")
    conversation = await conversation_with_turns(client, alice, "first", "second", "third")
    standin.script(Answer(text="Sourdough starters need flour, water and patience; sourdough rewards patience."))
    summary = (await client.post(f"{API}/{conversation['id']}/summaries", headers=alice.headers)).json()
    original = await messages_of(client, alice, conversation["id"])
    chosen = original[3]  # the model's answer to "second"

    published = await publish(
        client, alice, conversation["id"], up_to_message_id=chosen["id"], summary_id=summary["id"],
        visibility="followers",
    )  # fmt: skip

    post = published["post"]
    assert post["visibility"] == "followers"
    assert post["content"] == "An AI conversation"  # no caption and no title yet
    assert post["conversation"]["preview"] == summary["content"]
    assert post["conversation"]["message_count"] == 4
    assert published["suggested_hashtags"] == ["sourdough", "patience", "starters"]
    shared = (await client.get(f"{SHARED}/{post['id']}", params={"limit": 3}, headers=alice.headers)).json()
    rest = (
        await client.get(f"{SHARED}/{post['id']}", params={"cursor": shared["next_cursor"]}, headers=alice.headers)
    ).json()
    assert turns(shared["messages"] + rest["messages"]) == turns(original[:4])
    assert rest["next_cursor"] is None


async def test_publish_mistakes_are_problems(client: httpx.AsyncClient, standin: GeminiStandIn) -> None:
    alice = await create_user(client, "alice")
    mallory = await create_user(client, "mallory")
    empty = await new_conversation(client, alice)
    conversation = await conversation_with_turns(client, alice, "hello")
    other = await conversation_with_turns(client, alice, "elsewhere")
    foreign_message = (await messages_of(client, alice, other["id"]))[0]["id"]
    url = f"{API}/{conversation['id']}/publish"

    nothing = await client.post(f"{API}/{empty['id']}/publish", json={}, headers=alice.headers)
    bad_message = await client.post(url, json={"up_to_message_id": foreign_message}, headers=alice.headers)
    bad_summary = await client.post(url, json={"summary_id": "nope"}, headers=alice.headers)
    bad_visibility = await client.post(url, json={"visibility": "everyone"}, headers=alice.headers)
    long_caption = await client.post(url, json={"caption": "x" * 10_000}, headers=alice.headers)
    strangers = await client.post(url, json={}, headers=mallory.headers)
    signed_out = await client.post(url, json={})

    assert [r.status_code for r in (nothing, bad_message, bad_summary, bad_visibility, long_caption)] == [
        422, 422, 422, 400, 422,
    ]  # fmt: skip
    assert (strangers.status_code, signed_out.status_code) == (404, 401)
    assert all(r.headers["content-type"].startswith("application/problem+json") for r in (nothing, bad_message))
    assert bad_summary.json()["field"] == "summary_id"


async def test_a_followers_only_snapshot_is_hidden_from_strangers(
    client: httpx.AsyncClient, standin: GeminiStandIn
) -> None:
    alice = await create_user(client, "alice")
    bob = await create_user(client, "bob")
    mallory = await create_user(client, "mallory")
    await follow(client, bob, alice)
    conversation = await conversation_with_turns(client, alice, "for my followers")
    post = (await publish(client, alice, conversation["id"], visibility="followers"))["post"]
    url = f"{SHARED}/{post['id']}"

    assert (await client.get(url, headers=bob.headers)).status_code == 200
    assert (await client.get(url, headers=mallory.headers)).status_code == 404
    assert (await client.get(url)).status_code == 404
    assert (await client.post(f"{url}/fork", json={}, headers=mallory.headers)).status_code == 404
    # the private conversation itself stays private, to followers too
    assert (await client.get(f"{API}/{conversation['id']}", headers=bob.headers)).status_code == 404
    assert (await client.get(f"{API}/{conversation['id']}/messages", headers=bob.headers)).status_code == 404


async def test_shared_url_of_an_ordinary_or_unknown_post_is_404(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    ordinary = await client.post("/api/v1/posts", json={"content": "just a post"}, headers=alice.headers)
    assert (await client.get(f"{SHARED}/{ordinary.json()['id']}")).status_code == 404
    assert (await client.get(f"{SHARED}/not-a-post")).status_code == 404


async def test_fork_of_a_published_conversation_copies_the_snapshot_counts_and_notifies(
    client: httpx.AsyncClient, standin: GeminiStandIn, run_jobs: Any
) -> None:
    alice = await create_user(client, "alice")
    bob = await create_user(client, "bob")
    conversation = await conversation_with_turns(client, alice, "one", "two", title="Ideas", system_prompt="secret")
    post = (await publish(client, alice, conversation["id"]))["post"]
    await send(client, alice, conversation["id"], "three, not published")
    snapshot = (await client.get(f"{SHARED}/{post['id']}")).json()["messages"]
    chosen = snapshot[1]  # the model's first answer

    response = await client.post(f"{SHARED}/{post['id']}/fork", json={"message_id": chosen["id"]}, headers=bob.headers)

    assert response.status_code == 201, response.text
    fork = response.json()
    source = (await messages_of(client, alice, conversation["id"]))[1]
    assert fork["forked_from"] == {
        "conversation_id": conversation["id"], "message_id": source["id"], "post_id": post["id"],
    }  # fmt: skip
    assert (fork["title"], fork["system_prompt"], fork["message_count"]) == ("Ideas", "", 2)
    assert turns(await messages_of(client, bob, fork["id"])) == turns(snapshot[:2])
    whole = await client.post(f"{SHARED}/{post['id']}/fork", json={}, headers=bob.headers)
    assert turns(await messages_of(client, bob, whole.json()["id"])) == turns(snapshot)
    # the fork is bob's own conversation: he can continue it; alice cannot see it
    await send(client, bob, fork["id"], "continuing in my fork")
    assert (await client.get(f"{API}/{fork['id']}", headers=alice.headers)).status_code == 404

    counted = (await client.get(f"/api/v1/posts/{post['id']}")).json()
    assert counted["conversation"]["fork_count"] == 2
    assert (await client.get(f"{SHARED}/{post['id']}")).json()["fork_count"] == 2
    await run_jobs()
    notes = (await client.get("/api/v1/notifications", params={"types": "ai_fork"}, headers=alice.headers)).json()
    assert [(n["type"], n["post_id"], n["actor_count"]) for n in notes["items"]] == [("ai_fork", post["id"], 1)]
    assert notes["items"][0]["actors"][0]["username"] == "bob"


async def test_fork_mistakes_are_problems(client: httpx.AsyncClient, standin: GeminiStandIn) -> None:
    alice = await create_user(client, "alice")
    bob = await create_user(client, "bob")
    conversation = await conversation_with_turns(client, alice, "one")
    post = (await publish(client, alice, conversation["id"]))["post"]
    private_message = (await messages_of(client, alice, conversation["id"]))[0]["id"]
    url = f"{SHARED}/{post['id']}/fork"

    not_in_snapshot = await client.post(url, json={"message_id": private_message}, headers=bob.headers)
    malformed = await client.post(url, json={"message_id": "x"}, headers=bob.headers)
    signed_out = await client.post(url, json={})

    assert [r.status_code for r in (not_in_snapshot, malformed, signed_out)] == [422, 422, 401]
    assert not_in_snapshot.json()["field"] == "message_id"


async def test_deleting_the_post_unpublishes_but_keeps_the_conversation(
    client: httpx.AsyncClient, standin: GeminiStandIn, run_jobs: Any
) -> None:
    alice = await create_user(client, "alice")
    bob = await create_user(client, "bob")
    conversation = await conversation_with_turns(client, alice, "soon gone")
    post = (await publish(client, alice, conversation["id"]))["post"]
    assert (await client.get(f"{SHARED}/{post['id']}")).status_code == 200

    assert (await client.delete(f"/api/v1/posts/{post['id']}", headers=alice.headers)).status_code == 204

    assert (await client.get(f"{SHARED}/{post['id']}")).status_code == 404
    assert (await client.get(f"{SHARED}/{post['id']}", headers=alice.headers)).status_code == 404
    assert (await client.post(f"{SHARED}/{post['id']}/fork", json={}, headers=bob.headers)).status_code == 404
    await run_jobs()
    assert await SharedConversation.count() == 0
    assert await SharedMessage.count() == 0
    assert len(await messages_of(client, alice, conversation["id"])) == 2


async def test_the_published_post_is_what_a_get_returns_and_is_not_read_back(
    client: httpx.AsyncClient, standin: GeminiStandIn, query_log: QueryLog
) -> None:
    alice = await create_user(client, "alice")
    await create_user(client, "bob")
    conversation = await conversation_with_turns(client, alice, "What are tides?", title="Tides")

    query_log.reset()
    published = await publish(client, alice, conversation["id"], caption="On #tides with @bob", visibility="followers")
    statements = list(query_log.statements)
    post = published["post"]

    fetched = await client.get(f"/api/v1/posts/{post['id']}", headers=alice.headers)
    assert fetched.status_code == 200, fetched.text
    assert post == fetched.json()
    assert (post["kind"], post["visibility"], post["conversation"]["title"]) == ("conversation", "followers", "Tides")
    assert [mention["username"] for mention in post["entities"]["mentions"]] == ["bob"]
    # The response is presented from the row the create returned: after that statement nothing reads the post.
    created_at = next(number for number, sql in enumerate(statements) if "INSERT INTO posts" in sql)
    assert not [sql for sql in statements[created_at + 1 :] if "FROM posts" in " ".join(sql.split())]
