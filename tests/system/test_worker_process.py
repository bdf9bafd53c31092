"""``salon worker`` as deployed: one process works both job queues and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import msgspec
import pytest
from saq.job import Status

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
    output = log.read_text()
    assert "worker starting (a database pool of 26 connections)" in output, output  # 20 + 4 job slots + 2 spare
    assert "did not finish" not in output, output  # SAQ's warning, printed at every stop before: nothing was cut off
    assert "cut off" not in output, output


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


def test_the_worker_pool_covers_its_job_slots_and_the_api_pool_stays_as_set(app, settings) -> None:
    from salon.worker import POOL_SPARE_CONNECTIONS, db_pool_size

    both = db_pool_size(settings, jobs.QUEUES)
    assert both == settings.worker_concurrency + settings.worker_timelines_concurrency + POOL_SPARE_CONNECTIONS
    assert both == 26  # the defaults: 20 + 4 + 2, where the API's 20 fell short
    assert db_pool_size(settings, [jobs.TIMELINES_QUEUE]) == settings.worker_timelines_concurrency + 2
    bigger = msgspec.structs.replace(settings, worker_concurrency=40)
    assert db_pool_size(bigger, jobs.QUEUES) == 40 + 4 + 2
    pool = db.engine().pool
    assert pool is not None
    assert pool.get_max_size() == settings.db_pool_max == 20  # the API process's pool is unchanged


async def test_stopping_an_idle_worker_warns_of_nothing(app, settings, caplog: pytest.LogCaptureFixture) -> None:
    worker = build_worker(settings, jobs.queue())
    running = asyncio.create_task(worker.start())
    await asyncio.sleep(0.3)  # its upkeep loops and dequeues are running

    with caplog.at_level(logging.WARNING):
        await stop_workers([worker], grace_seconds=5)
        await running

    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
    assert not worker.tasks


async def test_a_job_cut_off_at_stop_is_named_in_a_warning_and_retried(
    app, settings, caplog: pytest.LogCaptureFixture
) -> None:
    FINISHED.clear()
    worker = build_worker(settings, jobs.queue())
    running = asyncio.create_task(worker.start())
    async with db.unit_of_work():
        await jobs.enqueue(slow_job_for_test, seconds=30.0)

    async def job_running() -> bool:
        return bool(worker.job_task_contexts)

    await wait_for(job_running, timeout=10)
    with caplog.at_level(logging.WARNING):
        await stop_workers([worker], grace_seconds=0.2)
        await running

    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert warnings == ["stopping the salon worker cut off 1 running job(s), which SAQ retries: slow_job_for_test"]
    assert FINISHED == []
    info = await jobs.queue().info(jobs=True, limit=100)  # cron ticks are queued too
    cut_off = [job for job in info["jobs"] if job["function"] == "slow_job_for_test"]
    assert [(job["status"], job["error"]) for job in cut_off] == [(Status.QUEUED, "cancelled")]  # queued again
