"""Operational state: readiness of the stores salon depends on, and the worker's heartbeat."""

from __future__ import annotations

import asyncio
import time

import msgspec

from salon.lib import db
from salon.lib import valkey as valkey_client

WORKER_HEARTBEAT_KEY = "salon:worker:heartbeat"
CHECK_TIMEOUT = 2.0


class Readiness(msgspec.Struct):
    postgres: str
    valkey: str
    worker_last_seen_seconds: float | None = None

    @property
    def ready(self) -> bool:
        return self.postgres == "ok" and self.valkey == "ok"


async def _check_postgres() -> str:
    try:
        await asyncio.wait_for(db.engine().run_ddl("SELECT 1"), CHECK_TIMEOUT)
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}: {exc}".strip()[:300]
    return "ok"


async def _check_valkey() -> tuple[str, float | None]:
    try:
        client = valkey_client.client()
        async with asyncio.timeout(CHECK_TIMEOUT):
            await client.ping()
            beat = await client.get(WORKER_HEARTBEAT_KEY)
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}: {exc}".strip()[:300], None
    return "ok", (round(time.time() - float(beat), 1) if beat else None)


async def readiness() -> Readiness:
    (pg, (vk, beat)) = await asyncio.gather(_check_postgres(), _check_valkey())
    return Readiness(postgres=pg, valkey=vk, worker_last_seen_seconds=beat)


async def record_worker_heartbeat() -> None:
    await valkey_client.client().set(WORKER_HEARTBEAT_KEY, str(time.time()), ex=300)
