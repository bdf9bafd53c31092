"""Domain events on two job queues (``salon.lib.events`` / ``salon.lib.jobs``): timeline writes on ``timelines``, the
rest on the default queue; one job per queue with subscribers, each running (and retrying) only its own handlers."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.feed.helpers import feed, follow
from tests.posts.helpers import new_post


async def timeline_members(user_id: str) -> set[str]:
    from salon.lib import valkey

    return {member for member in await valkey.client().zrange(f"timeline:{user_id}", 0, -1) if member != "!"}


def hexid(post_id: str) -> str:
    return post_id.replace("-", "")


async def queued_events(queue_name: str, event: str) -> list[dict[str, Any]]:
    """The kwargs of the ``dispatch_domain_event`` jobs of ``event`` waiting on queue ``queue_name``."""
    from salon.lib import jobs

    info = await jobs.queue(queue_name).info(jobs=True, limit=100)
    return [
        job["kwargs"]
        for job in info["jobs"]
        if job["function"] == "dispatch_domain_event" and job["kwargs"]["name"] == event
    ]


def test_only_the_timeline_writers_run_on_the_timelines_queue(app: Any) -> None:
    from salon.lib import events, jobs

    on_timelines = {
        (name, handler.__name__)
        for name in events.SUBSCRIBERS
        for handler in events.subscribers_of(name, jobs.TIMELINES_QUEUE)
    }
    assert on_timelines == {
        ("post.created", "fan_out_post"),
        ("post.reposted", "fan_out_repost"),
        ("user.followed", "backfill_follow"),
        ("friend.accepted", "backfill_friendship"),
    }
    assert events.queues_of("post.created") == [jobs.DEFAULT_QUEUE, jobs.TIMELINES_QUEUE]
    assert events.queues_of("post.liked") == [jobs.DEFAULT_QUEUE]  # notification and affinity: no timeline write
    assert events.queues_of("user.blocked") == []  # nothing subscribes: no job at all


async def test_post_created_is_one_job_per_queue_and_the_timelines_job_runs_only_the_fan_out(
    client: httpx.AsyncClient, make_users, run_jobs, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from salon.lib import events, jobs
    from salon.worker import build_worker

    alice, bob = await make_users("alice", "bob")
    await follow(client, alice, bob)
    await feed(client, alice, algorithm="chronological")  # builds alice's timeline: fan-out writes into it
    await run_jobs()
    on_default: list[str] = []

    async def default_probe(event: Any) -> None:
        on_default.append(event.post_id)

    monkeypatch.setitem(events.SUBSCRIBERS, "post.created", [*events.SUBSCRIBERS["post.created"], default_probe])

    post = await new_post(client, bob, "one job per queue")

    for name in jobs.QUEUES:
        queued = await queued_events(name, "post.created")
        assert len(queued) == 1, name
        assert queued[0]["queue_name"] == name
    # The timelines worker alone: the post reaches alice's timeline, and no default-queue subscriber ran.
    await build_worker(settings, jobs.queue(jobs.TIMELINES_QUEUE), burst=True).start()
    assert hexid(post["id"]) in await timeline_members(alice.id)
    assert on_default == []
    assert len(await queued_events(jobs.DEFAULT_QUEUE, "post.created")) == 1

    await run_jobs()
    assert on_default == [post["id"]]
    assert await queued_events(jobs.DEFAULT_QUEUE, "post.created") == []


@pytest.mark.parametrize("failing_queue", ["salon", "timelines"])
async def test_a_failing_subscriber_retries_only_its_own_queue(
    client: httpx.AsyncClient, make_users, run_jobs, monkeypatch: pytest.MonkeyPatch, failing_queue: str
) -> None:
    from salon.lib import events, jobs

    other_queue = next(name for name in jobs.QUEUES if name != failing_queue)
    alice, bob = await make_users("alice", "bob")
    await follow(client, alice, bob)
    await feed(client, alice, algorithm="chronological")
    await run_jobs()
    calls = {"flaky": 0, "other": 0}

    async def flaky(event: Any) -> None:
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            raise RuntimeError("the first attempt fails")

    async def other(event: Any) -> None:
        calls["other"] += 1

    # ``other`` first: were both in one job, the retry would run it again.
    monkeypatch.setitem(events.SUBSCRIBERS, "post.created", [*events.SUBSCRIBERS["post.created"], other, flaky])
    for handler, queue in ((flaky, failing_queue), (other, other_queue)):
        if queue != jobs.DEFAULT_QUEUE:
            monkeypatch.setitem(events.SUBSCRIBER_QUEUES, handler, queue)

    post = await new_post(client, bob, "retried in part")

    deadline = time.monotonic() + 20
    while calls["flaky"] < 2:  # the retry waits out its backoff (about a second)
        assert time.monotonic() < deadline, "the failed job was never retried"
        await run_jobs()
    assert calls == {"flaky": 2, "other": 1}
    assert hexid(post["id"]) in await timeline_members(alice.id)  # the real fan-out ran too (once or twice)


async def test_a_job_queued_before_the_queues_split_runs_every_subscriber(
    client: httpx.AsyncClient, make_users, run_jobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ``dispatch_domain_event`` job without ``queue_name`` (queued by a version with one queue, still waiting
    when the worker is upgraded) runs the subscribers of both queues, so a deploy loses no fan-out."""
    import msgspec

    from salon.lib import events, jobs
    from salon.posts.events import PostCreated

    ran: list[str] = []

    async def on_default(event: Any) -> None:
        ran.append("default")

    async def on_timelines(event: Any) -> None:
        ran.append("timelines")

    monkeypatch.setitem(events.SUBSCRIBERS, "post.created", [on_default, on_timelines])
    monkeypatch.setitem(events.SUBSCRIBER_QUEUES, on_timelines, jobs.TIMELINES_QUEUE)
    (alice,) = await make_users("alice")
    post = await new_post(client, alice, "before the split")
    await run_jobs()
    assert sorted(ran) == ["default", "timelines"]  # one job each
    ran.clear()

    legacy = PostCreated(post["id"], alice.id, "post", "public", datetime.now(UTC))
    payload = msgspec.json.encode(legacy).decode()
    await jobs.queue().enqueue("dispatch_domain_event", name="post.created", payload=payload)
    await run_jobs()
    assert ran == ["default", "timelines"]


async def test_an_unknown_queue_is_refused(app: Any) -> None:
    from salon.lib import events, jobs

    with pytest.raises(RuntimeError, match="no job queue 'fanout'"):
        events.subscriber("post.created", queue="fanout")
    with pytest.raises(RuntimeError, match="no job queue 'fanout'"):
        await jobs.enqueue("dispatch_domain_event", queue="fanout", name="post.created", payload="{}")
