"""What POST /api/v1/posts costs in database and Valkey round trips, and that its response is the post as a GET shows
it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from tests.feed.helpers import feed
from tests.helpers import QueryLog, TestUser, ValkeyLog
from tests.posts.helpers import new_post

# Round trips of one create, counted by ``query_log`` (statements plus BEGIN/COMMIT). Before the create was one
# statement presented from its own row, a plain post cost 10, a reply or a quote of someone else's post 14, a reply
# that also quotes the same post 17; before hydrate read the viewer's relations and likes with the posts, 2, 7 and 9.
PLAIN_CREATE_ROUND_TRIPS = 1  # the statement; its row carries what the response needs
# + the suspension check, the referenced post (with the relation to its author) before, and after it again: the
# response embeds it with the new reply or quote counted
REFERENCE_CREATE_ROUND_TRIPS = 4
REPLY_AND_QUOTE_ROUND_TRIPS = 4  # the same post replied to and quoted is read once (it was 5: once for each)

# Valkey round trips after the create's statement (counted by ``valkey_log``): every job of the post's events and the
# author's timeline push share one pipeline (``salon.lib.jobs.batch``). Before, each was a round trip of its own: a
# plain post 3 (post.created on two queues, the push), a reply 4 (+ post.replied), a reply that quotes the same post
# and mentions someone 6 (+ post.quoted, user.mentioned).
AFTER_COMMIT_VALKEY_ROUND_TRIPS = 1


async def _cost(client: httpx.AsyncClient, query_log: QueryLog, author: TestUser, **fields: object) -> dict:
    query_log.reset()
    post = await new_post(client, author, "costed", **fields)
    return {"post": post, "count": query_log.count, "log": str(query_log)}


async def test_a_plain_create_costs_few_round_trips(client: httpx.AsyncClient, make_users, query_log: QueryLog) -> None:
    (alice,) = await make_users("alice")
    await new_post(client, alice, "warm-up")

    plain = await _cost(client, query_log, alice)

    assert plain["count"] <= PLAIN_CREATE_ROUND_TRIPS, plain["log"]


async def test_replies_and_quotes_cost_a_fixed_few_more(
    client: httpx.AsyncClient, make_users, query_log: QueryLog
) -> None:
    alice, bob = await make_users("alice", "bob")
    target = await new_post(client, bob, "target")

    reply = await _cost(client, query_log, alice, reply_to_id=target["id"])
    quote = await _cost(client, query_log, alice, quote_of_id=target["id"])
    both = await _cost(client, query_log, alice, reply_to_id=target["id"], quote_of_id=target["id"])

    assert reply["count"] <= REFERENCE_CREATE_ROUND_TRIPS, reply["log"]
    assert quote["count"] <= REFERENCE_CREATE_ROUND_TRIPS, quote["log"]
    assert both["count"] <= REPLY_AND_QUOTE_ROUND_TRIPS, both["log"]


async def test_a_create_reaches_valkey_once_after_commit(
    client: httpx.AsyncClient, make_users, valkey_log: ValkeyLog, run_jobs
) -> None:
    alice, bob = await make_users("alice", "bob")
    target = await new_post(client, bob, "target")
    await new_post(client, alice, "warm-up")  # the scripts are loaded; a first call after a restart loads them
    await feed(client, alice, algorithm="chronological")  # builds alice's timeline: pushes write only built ones
    variants = {
        "plain": ({"content": "plain"}, 2),  # jobs: post.created on the default and the timelines queue
        "reply": ({"content": "a reply", "reply_to_id": target["id"]}, 3),  # + post.replied
        "everything": (
            {"content": "hi @bob", "reply_to_id": target["id"], "quote_of_id": target["id"]},
            5,  # + post.quoted and user.mentioned
        ),
    }

    for variant, (fields, job_count) in variants.items():
        with valkey_log.measuring():
            post = await new_post(client, alice, **fields)  # type: ignore[arg-type]
        after_commit = valkey_log.after_statement("INSERT INTO posts")

        assert len(after_commit) == AFTER_COMMIT_VALKEY_ROUND_TRIPS, (variant, after_commit)
        assert after_commit[0] == ["EVALSHA"] * (job_count + 1), variant  # the jobs, then the author's push
        # What the pipeline carried is there: the author's timeline has the post before any job ran ...
        assert post["id"].replace("-", "") in await _timeline_members(alice.id), variant
    # ... and the jobs run: bob hears about the reply, the quote and the mention.
    await run_jobs()
    kinds = [item["type"] for item in (await client.get("/api/v1/notifications", headers=bob.headers)).json()["items"]]
    assert sorted(kinds) == sorted(["reply", "reply", "quote", "mention"]), kinds


async def _timeline_members(user_id: str) -> set[str]:
    from salon.lib import valkey

    return set(await valkey.client().zrange(f"timeline:{user_id}", 0, -1))


async def _created_as_get_shows_it(client: httpx.AsyncClient, author: TestUser, content: str, **fields: object) -> dict:
    """Create a post and check its response is exactly what a GET by its author returns right after."""
    post = await new_post(client, author, content, **fields)
    fetched = await client.get(f"/api/v1/posts/{post['id']}", headers=author.headers)
    assert fetched.status_code == 200, fetched.text
    assert post == fetched.json()
    return post


async def test_the_created_post_is_what_a_get_returns(client: httpx.AsyncClient, make_users) -> None:
    alice, bob = await make_users("alice", "bob")
    target = await new_post(client, bob, "bob's #first")
    await client.post(f"/api/v1/posts/{target['id']}/like", headers=alice.headers)

    plain = await _created_as_get_shows_it(client, alice, "plain")
    await _created_as_get_shows_it(client, alice, "hi @bob #Tag", visibility="followers")
    reply = await _created_as_get_shows_it(client, alice, "a reply", reply_to_id=target["id"])
    quote = await _created_as_get_shows_it(client, alice, "a quote", quote_of_id=target["id"], visibility="friends")
    both = await _created_as_get_shows_it(client, alice, "both", reply_to_id=target["id"], quote_of_id=target["id"])
    to_own = await _created_as_get_shows_it(client, alice, "to myself", reply_to_id=plain["id"])

    # The embedded parent is read after the create: it counts this reply and shows alice's like of it.
    assert (reply["reply_to"]["reply_count"], reply["reply_to"]["viewer"]["liked"]) == (1, True)
    assert quote["quote_of"]["quote_count"] == 1
    assert (both["reply_to"]["reply_count"], both["quote_of"]["quote_count"]) == (2, 2)
    assert to_own["reply_to"]["reply_count"] == 1
    assert (await client.get("/api/v1/users/alice")).json()["posts_count"] == 6


async def test_an_idempotent_create_and_its_replay_match_a_get(client: httpx.AsyncClient, make_users) -> None:
    (alice,) = await make_users("alice")
    headers = {**alice.headers, "Idempotency-Key": "create-cost-1"}

    first = await client.post("/api/v1/posts", json={"content": "once"}, headers=headers)
    replay = await client.post("/api/v1/posts", json={"content": "once"}, headers=headers)

    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert (
        first.json()
        == replay.json()
        == (await client.get(f"/api/v1/posts/{first.json()['id']}", headers=headers)).json()
    )


async def test_a_suspended_author_writes_nothing_and_hears_why_first(
    client: httpx.AsyncClient, make_users, emitted
) -> None:
    from salon.moderation.tables import Sanction

    alice, bob = await make_users("alice", "bob")
    target = await new_post(client, bob, "target")
    until = datetime.now(tz=UTC) + timedelta(days=1)
    await Sanction.insert(Sanction(user_id=alice.id, kind="suspend", ends_at=until, decision_id=uuid.uuid4()))
    emitted.events.clear()

    plain = await client.post("/api/v1/posts", json={"content": "#tag @bob"}, headers=alice.headers)
    reply = await client.post(
        "/api/v1/posts", json={"content": "hi", "reply_to_id": target["id"]}, headers=alice.headers
    )
    bad_reference = await client.post(
        "/api/v1/posts", json={"content": "hi", "quote_of_id": str(uuid.uuid4())}, headers=alice.headers
    )

    for refused in (plain, reply, bad_reference):  # the suspension is reported before a bad reference
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "suspended"
        assert datetime.fromisoformat(refused.json()["suspended_until"]) == until
    assert (await client.get("/api/v1/users/alice")).json()["posts_count"] == 0
    assert (await client.get("/api/v1/users/alice/posts")).json()["items"] == []
    assert (await client.get(f"/api/v1/posts/{target['id']}")).json()["reply_count"] == 0
    assert emitted.events == []
