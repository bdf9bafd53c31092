"""Exact fixed-window counters in Valkey, shared by every process and worker.

Each ``take`` is one MULTI/EXEC of INCR + EXPIRE NX + TTL, so concurrent requests on any number of app instances
are counted exactly once and the window starts at the first hit. Use these where a limit must hold exactly (sign-in
attempts, registrations); Litestar's RateLimitConfig is per-process-approximate.
"""

from __future__ import annotations

from salon.lib import valkey as valkey_client

# DECR only while the window is still open: after it expired there is nothing to give back.
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""


async def take(keys: list[str], *, limits: list[int], window_seconds: int) -> int | None:
    """Count one hit on each key. Return None while every key is within its limit, else the seconds until the
    fullest window over its limit reopens (for Retry-After)."""
    async with valkey_client.client().pipeline(transaction=True) as pipe:
        for key in keys:
            pipe.incr(key)
            pipe.expire(key, window_seconds, nx=True)
            pipe.ttl(key)
        results = await pipe.execute()
    retry_after: int | None = None
    for index, limit in enumerate(limits):
        count, _, ttl = results[index * 3 : index * 3 + 3]
        if int(count) > limit:
            wait = int(ttl) if int(ttl) > 0 else window_seconds
            retry_after = max(retry_after or 0, wait)
    return retry_after


async def give_back(key: str) -> None:
    """Undo one hit (e.g. an attempt that turned out to be a success)."""
    await valkey_client.client().eval(_GIVE_BACK, 1, key)  # type: ignore[misc]  # valkey-py types sync|async


async def clear(key: str) -> None:
    await valkey_client.client().delete(key)
