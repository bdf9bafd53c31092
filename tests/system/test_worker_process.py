"""``salon worker`` as deployed: one process works both job queues and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from salon.lib import db, jobs
from salon.worker import build_worker, stop_workers
from tests.conftest import wait_for
from tests.feed.helpers import feed, feed_ids, follow
from tests.posts.helpers import new_post
from tests.social.conftest import make_users

__all__ = ["make_users"]

FINISHED: list[float] = []


@jobs.job(timeout=30, retries=1)
async def slow_job_for_test(ctx: dict[str, object], *, seconds: float) -> None:
    await asyncio.sleep(seconds)
    FINISHED.append(seconds)


async def test_salon_worker_runs_both_queues_and_stops_on_sigterm(
    client: httpx.AsyncClient, make_users, tmp_path: Path
) -> None:
    alice, bob = await make_users("alice", "bob")
    await follow(client, alice, bob)
    await feed(client, alice, algorithm="chronological")  # alice's timeline is built: fan-out writes into it
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "salon", "worker"], env=dict(os.environ), stdout=out,
                                  stderr=subprocess.STDOUT)  # fmt: skip
    try:
        post = await new_post(client, bob, "through the worker process")
        assert (await client.post(f"/api/v1/posts/{post['id']}/like", headers=alice.headers)).status_code == 200

        async def fanned_out() -> bool:  # the timelines queue's job
            return post["id"] in await feed_ids(client, alice, algorithm="chronological")

        async def notified() -> bool:  # a default-queue job (notifications of post.liked)
            response = await client.get("/api/v1/notifications", headers=bob.headers)
            return any(item["type"] == "like" for item in response.json()["items"])

        await wait_for(fanned_out, timeout=20, interval=0.1)
        await wait_for(notified, timeout=20, interval=0.1)
    finally:
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.to_thread(worker.wait, 30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
            raise AssertionError(f"salon worker ignored SIGTERM:\n{log.read_text()}") from None
    assert code == 0, log.read_text()
    assert time.monotonic() - started < 5  # idle: no job to wait for (it used to sit out the 10 s grace period)


async def test_stopping_lets_a_running_job_finish_without_waiting_out_the_grace_period(app, settings) -> None:
    FINISHED.clear()
    worker = build_worker(settings, jobs.queue())
    running = asyncio.create_task(worker.start())
    try:
        async with db.unit_of_work():
            await jobs.enqueue(slow_job_for_test, seconds=1.0)

        async def job_running() -> bool:
            return bool(worker.job_task_contexts)

        await wait_for(job_running, timeout=10)
        started = time.monotonic()
        await stop_workers([worker], grace_seconds=30)
        assert FINISHED == [1.0]  # it ran to its end, it was not cancelled
        assert time.monotonic() - started < 15  # and the stop did not wait out the 30 s
    finally:
        await stop_workers([worker], grace_seconds=0)
        await running


async def test_salon_worker_with_queue_works_only_that_queue(
    client: httpx.AsyncClient, make_users, tmp_path: Path
) -> None:
    from salon.lib import jobs

    alice, bob = await make_users("alice", "bob")
    await follow(client, alice, bob)
    await feed(client, alice, algorithm="chronological")
    with (tmp_path / "worker.log").open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "salon", "worker", "--queue", "timelines"],
                                  env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        post = await new_post(client, bob, "fanned out by the timelines worker alone")

        async def fanned_out() -> bool:
            return post["id"] in await feed_ids(client, alice, algorithm="chronological")

        await wait_for(fanned_out, timeout=20, interval=0.1)
        # post.created's default-queue job (screening, mentions) is still waiting for a worker of that queue.
        assert await jobs.queue(jobs.DEFAULT_QUEUE).count("queued") >= 1
    finally:
        worker.kill()  # shutdown is the test above; this one only needs the process gone
        await asyncio.to_thread(worker.wait, 30)
