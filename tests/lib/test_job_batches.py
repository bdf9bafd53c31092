"""``salon.lib.jobs.batch``: the jobs enqueued in a block (and its script calls) reach Valkey in one pipeline after
commit, as jobs a real SAQ worker runs exactly as if SAQ had enqueued them."""

from __future__ import annotations

import inspect
import logging
from typing import Any

import pytest

ran: list[dict[str, Any]] = []


async def batched_probe(ctx: dict[str, Any], **kwargs: Any) -> None:
    ran.append(kwargs)


@pytest.fixture
def probe_job(app: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    from salon.lib import jobs

    ran.clear()
    monkeypatch.setitem(jobs.REGISTRY, "batched_probe", jobs.JobSpec(batched_probe, 10, 1, 0.0, False))
    return "batched_probe"


def test_the_enqueue_script_is_saqs_own() -> None:
    """A batch stores jobs with a copy of SAQ's enqueue script: an upgrade of SAQ that changes it must fail here."""
    from saq.queue.redis import RedisQueue

    from salon.lib import jobs

    source = inspect.getsource(RedisQueue._enqueue)
    saq_script = source.split('"""')[1]
    assert " ".join(saq_script.split()) == " ".join(jobs.SAQ_ENQUEUE.split())


async def test_batched_jobs_on_both_queues_run_in_real_workers(probe_job: str, run_jobs: Any) -> None:
    from salon.lib import db, jobs

    async with db.unit_of_work(), jobs.batch():
        await jobs.enqueue(probe_job, n=1)
        await jobs.enqueue(probe_job, queue=jobs.TIMELINES_QUEUE, n=2)
        await jobs.enqueue(probe_job, key="once", n=3)
        await jobs.enqueue(probe_job, key="once", n=4)  # the same key while the first is queued: dropped, as in SAQ
        assert await jobs.queue().count("queued") == 0  # nothing is sent before the commit
    assert await jobs.queue().count("queued") == 2
    assert await jobs.queue(jobs.TIMELINES_QUEUE).count("queued") == 1

    await run_jobs()

    assert sorted(call["n"] for call in ran) == [1, 2, 3]


async def test_a_batch_that_raises_sends_nothing(probe_job: str) -> None:
    from salon.lib import db, jobs

    with pytest.raises(RuntimeError):
        async with db.unit_of_work(), jobs.batch():
            await jobs.enqueue(probe_job, n=1)
            raise RuntimeError("rolled back")
    assert await jobs.queue().count("queued") == 0


async def test_scripts_the_server_lost_are_loaded_and_sent_again(probe_job: str, run_jobs: Any) -> None:
    from salon.lib import jobs, valkey

    async with jobs.batch():
        await jobs.enqueue(probe_job, n=1)
    await valkey.client().script_flush()  # as after a restart of Valkey

    async with jobs.batch():
        await jobs.enqueue(probe_job, n=2)

    await run_jobs()
    assert sorted(call["n"] for call in ran) == [1, 2]


async def test_a_job_that_cannot_be_stored_is_logged_by_name_and_the_rest_still_go(
    probe_job: str, run_jobs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from salon.lib import jobs, valkey

    # The default queue's index of incomplete jobs is not a sorted set: SAQ's script fails for jobs on that queue.
    await valkey.client().set("saq:salon:incomplete", "not a sorted set")

    with caplog.at_level(logging.ERROR, logger="salon.jobs"):
        async with jobs.batch():
            await jobs.enqueue(probe_job, n=1)
            await jobs.enqueue(probe_job, queue=jobs.TIMELINES_QUEUE, n=2)

    lost = [record.getMessage() for record in caplog.records if record.name == "salon.jobs"]
    assert len(lost) == 1, lost
    assert "job batched_probe on salon was not sent" in lost[0]
    assert "WRONGTYPE" in lost[0]
    await valkey.client().delete("saq:salon:incomplete")
    await run_jobs()
    assert [call["n"] for call in ran] == [2]
