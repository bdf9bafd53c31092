from __future__ import annotations

from typing import Any

from salon.lib.jobs import cron
from salon.system import services


@cron("* * * * *", timeout=10)
async def worker_heartbeat(ctx: dict[str, Any]) -> None:
    """Every minute: record that a worker is alive (``/ready`` reports how long ago)."""
    await services.record_worker_heartbeat()
