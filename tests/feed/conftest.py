"""Feed tests: users, posts and a real SAQ worker (fan-out runs as it does in production)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.social.conftest import make_users

__all__ = ["live_worker", "make_users"]


@pytest.fixture
async def live_worker(app: Any, settings: Any) -> AsyncIterator[None]:
    """Real SAQ workers, one per queue, running alongside the test (not in burst mode), as ``salon worker`` does."""
    from salon.lib import jobs
    from salon.worker import build_worker

    workers = [build_worker(settings, jobs.queue(name)) for name in jobs.QUEUES]
    tasks = [asyncio.create_task(worker.start()) for worker in workers]
    yield
    await asyncio.gather(*(worker.stop() for worker in workers))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
