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
    """A real SAQ worker running alongside the test (not in burst mode), as ``salon worker`` runs it."""
    from salon.lib import jobs
    from salon.worker import build_worker

    worker = build_worker(settings, jobs.queue())
    task = asyncio.create_task(worker.start())
    yield
    await worker.stop()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
