"""Affinity and feedback, and authors above the fan-out threshold (merged at read time)."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import msgspec

from tests.feed.helpers import feed, feed_ids, follow
from tests.posts.helpers import new_post


async def affinity_of(viewer_id: str, author_id: str) -> float:
    from salon.lib import valkey

    value = await valkey.client().hget(f"affinity:{viewer_id}", author_id)
    return float(value or 0)


async def test_likes_replies_and_reposts_build_affinity_once_each(
    client: httpx.AsyncClient, make_users, run_jobs, settings
) -> None:
    from salon.feed.feedback import engaged

    alice, bob = await make_users("alice", "bob")
    post = await new_post(client, bob, "hello")
    await client.post(f"/api/v1/posts/{post['id']}/like", headers=alice.headers)
    await new_post(client, alice, "hi bob", reply_to_id=post["id"])
    await client.post(f"/api/v1/posts/{post['id']}/repost", headers=alice.headers)
    await run_jobs()

    expected = settings.feed_affinity_like + settings.feed_affinity_reply + settings.feed_affinity_repost
    assert await affinity_of(alice.id, bob.id) == expected
    await engaged(alice.id, bob.id, "like", post["id"], settings)  # a retried event
    assert await affinity_of(alice.id, bob.id) == expected
    assert await affinity_of(bob.id, alice.id) == 0


async def test_feedback_moves_authors_in_the_ranked_feed(client: httpx.AsyncClient, make_users, run_jobs) -> None:
    viewer, older, newer = await make_users("viewer", "older", "newer")
    await follow(client, viewer, older)
    await follow(client, viewer, newer)
    old_post = await new_post(client, older, "posted first")
    new_post_ = await new_post(client, newer, "posted second")
    await run_jobs()
    assert await feed_ids(client, viewer, algorithm="ranked") == [new_post_["id"], old_post["id"]]

    more = await client.post(
        "/api/v1/feed/feedback", json={"post_id": old_post["id"], "signal": "show_more"}, headers=viewer.headers
    )
    assert more.status_code == 204
    assert await feed_ids(client, viewer, algorithm="ranked") == [old_post["id"], new_post_["id"]]

    await client.post(
        "/api/v1/feed/feedback", json={"post_id": old_post["id"], "signal": "show_less"}, headers=viewer.headers
    )
    await client.post(
        "/api/v1/feed/feedback", json={"post_id": old_post["id"], "signal": "show_less"}, headers=viewer.headers
    )
    assert await affinity_of(viewer.id, older.id) == 0  # +5 once, -5 once: the repeated click did not count
    assert await feed_ids(client, viewer, algorithm="ranked") == [new_post_["id"], old_post["id"]]  # and seen


async def test_feedback_errors(client: httpx.AsyncClient, make_users) -> None:
    alice, bob = await make_users("alice", "bob")
    private = await new_post(client, bob, "mine only", visibility="private")

    def send(body: dict, headers: dict | None = None):
        return client.post("/api/v1/feed/feedback", json=body, headers=alice.headers if headers is None else headers)

    assert (await send({"post_id": private["id"], "signal": "show_more"})).status_code == 404
    assert (await send({"post_id": "not-an-id", "signal": "seen"})).status_code == 404
    assert (await send({"post_id": private["id"], "signal": "love"})).status_code == 400
    assert (await send({"post_id": private["id"], "signal": "seen"}, headers={})).status_code == 401


async def test_authors_above_the_fanout_threshold_are_merged_at_read_time(
    client: httpx.AsyncClient, make_users, settings
) -> None:
    from salon.feed import fanout, home, timeline
    from salon.lib import valkey
    from salon.posts.events import PostCreated

    celebrity_settings = msgspec.structs.replace(settings, feed_fanout_max_followers=1)
    fan, other_fan, star, friend = await make_users("fan", "otherfan", "star", "friend")
    await follow(client, fan, star)
    await follow(client, other_fan, star)  # star now has 2 followers: above the threshold of 1
    await follow(client, fan, friend)
    for user in (fan, other_fan):
        await timeline.rebuild(uuid.UUID(user.id), celebrity_settings)
    star_post = await new_post(client, star, "to my millions")
    friend_post = await new_post(client, friend, "to my one follower")
    for post in (star_post, friend_post):
        event = PostCreated(
            post_id=post["id"], author_id=post["author"]["id"], kind="post", visibility="public",
            created_at=datetime.fromisoformat(post["created_at"]),
        )  # fmt: skip
        await fanout.fan_out_post(event, celebrity_settings)

    stored = await valkey.client().zrange(f"timeline:{fan.id}", 0, -1)
    assert star_post["id"].replace("-", "") not in stored  # not fanned out ...
    assert friend_post["id"].replace("-", "") in stored

    for algorithm in ("chronological", "ranked"):
        page = await home.home_feed(uuid.UUID(fan.id), algorithm, None, 20, celebrity_settings)
        assert {item.post.id for item in page.items} == {star_post["id"], friend_post["id"]}  # ... but merged
    assert (await feed(client, fan, algorithm="chronological"))["items"]


async def test_a_profile_visit_counts_once_per_day(client: httpx.AsyncClient, make_users, settings) -> None:
    from salon.feed.affinity import record_profile_visit

    alice, bob = await make_users("alice", "bob")
    assert await record_profile_visit(alice.id, bob.id, settings, "2026-11-22")
    assert not await record_profile_visit(alice.id, bob.id, settings, "2026-11-22")
    assert await record_profile_visit(alice.id, bob.id, settings, "2026-11-23")
    assert not await record_profile_visit(alice.id, alice.id, settings, "2026-11-23")  # not with yourself
    assert await affinity_of(alice.id, bob.id) == 2 * settings.feed_affinity_profile_visit


def snapshot_token(cursor: str) -> str:
    from salon.lib.pagination import decode_cursor

    _, token, _, _ = decode_cursor(cursor, str, str, int, str)
    return token


async def test_a_reload_reuses_the_ranking_until_the_timeline_changes(
    client: httpx.AsyncClient, make_users, run_jobs
) -> None:
    viewer, first, second, *fans = await make_users("viewer", "first", "second", "fan1", "fan2", "fan3")
    await follow(client, viewer, first)
    await follow(client, viewer, second)
    earlier = await new_post(client, first, "posted first")
    later = await new_post(client, second, "posted second")
    await run_jobs()
    page = await feed(client, viewer, algorithm="ranked", limit=1)
    assert [item["post"]["id"] for item in page["items"]] == [later["id"]]

    for fan in fans:  # engagement that would put the earlier post first, without touching the viewer's timeline
        assert (await client.post(f"/api/v1/posts/{earlier['id']}/like", headers=fan.headers)).status_code == 200
    await run_jobs()
    reloaded = await feed(client, viewer, algorithm="ranked", limit=1)
    assert [item["post"]["id"] for item in reloaded["items"]] == [later["id"]]  # the same ranking, reused ...
    assert snapshot_token(reloaded["next_cursor"]) == snapshot_token(page["next_cursor"])
    rest = await feed(client, viewer, algorithm="ranked", limit=1, cursor=reloaded["next_cursor"])
    assert [item["post"]["id"] for item in rest["items"]] == [earlier["id"]]  # ... and paged from its start

    newest = await new_post(client, second, "posted third")
    await run_jobs()  # fan-out changes the viewer's timeline: the next load ranks again
    ranked_again = await feed(client, viewer, algorithm="ranked", limit=3)
    assert ranked_again["items"][0]["post"]["id"] == earlier["id"]
    assert {item["post"]["id"] for item in ranked_again["items"]} == {earlier["id"], later["id"], newest["id"]}


async def test_a_post_that_arrives_while_the_first_ranking_is_made_is_in_the_next_load(
    client: httpx.AsyncClient, make_users, run_jobs, monkeypatch
) -> None:
    """Fan-out counts changes only in a rankings hash that exists; the read must create it before the ranking reads
    the timeline, or a post pushed in between would leave a ranking that is reused without it."""
    from salon.feed import home, timeline
    from salon.lib import valkey
    from salon.settings import get_settings

    viewer, author = await make_users("viewer", "author")
    await follow(client, viewer, author)
    first = await new_post(client, author, "already there")
    await run_jobs()
    assert await feed_ids(client, viewer, algorithm="chronological") == [first["id"]]  # the timeline is built
    await valkey.client().delete(timeline.rankings_key(viewer.id))  # expired: the viewer has not read for a while
    arriving = await new_post(client, author, "arrives during the ranking")  # its fan-out job has not run yet
    arriving_at = timeline.epoch_ms(datetime.fromisoformat(arriving["created_at"]))
    entry = timeline.Entry(uuid.UUID(arriving["id"]), None, arriving_at)
    read_timeline = home._chronological_entries

    async def fan_out_after_the_read(*args, **kwargs):
        entries = await read_timeline(*args, **kwargs)
        assert await timeline.push([viewer.id], [entry], get_settings()) == 1  # what the fan-out job does
        return entries

    monkeypatch.setattr(home, "_chronological_entries", fan_out_after_the_read)
    assert await feed_ids(client, viewer, algorithm="ranked") == [first["id"]]  # ranked before the post arrived
    monkeypatch.undo()

    assert await feed_ids(client, viewer, algorithm="ranked") == [arriving["id"], first["id"]]  # ranked again
