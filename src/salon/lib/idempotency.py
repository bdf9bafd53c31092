"""``Idempotency-Key`` for creates: a retry of the same request within 24 h returns what the first one created.

Used by posts (``scope="posts"``) and AI messages (``scope="ai-messages"``); ``create`` returns the id of what it made.

Valkey holds, per user and key, either ``pending:<fingerprint>`` (the first request is running; short TTL so a crashed
request does not block the key for a day) or ``done:<fingerprint>:<id>`` for 24 h. ``SET NX`` decides which of two
concurrent duplicates does the work; the other waits for its result. The fingerprint is a hash of the request body:
reusing a key for a different body is a client mistake (422), not a silent replay of something else.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from salon.lib import valkey as valkey_client
from salon.lib.errors import Conflict, ValidationFailed

REPLAY_TTL_SECONDS = 24 * 3600
PENDING_TTL_SECONDS = 30
WAIT_FOR_FIRST_SECONDS = 10.0
POLL_SECONDS = 0.05
VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def validate_key(key: str) -> str:
    if not VALID_KEY.match(key):
        raise ValidationFailed("The Idempotency-Key header must be 1-255 visible ASCII characters (a UUID works well).")
    return key


async def run_once(
    scope: str, user_id: str, key: str, body_fingerprint: str, create: Callable[[], Awaitable[uuid.UUID]]
) -> tuple[uuid.UUID, bool]:
    """Run ``create`` once per ``(scope, user_id, key)``. Returns ``(id, replayed)``."""
    client = valkey_client.client()
    slot = f"idempotency:{scope}:{user_id}:{validate_key(key)}"
    deadline = time.monotonic() + WAIT_FOR_FIRST_SECONDS
    while True:
        if await client.set(slot, f"pending:{body_fingerprint}", nx=True, ex=PENDING_TTL_SECONDS):
            try:
                created = await create()
            except BaseException:
                await client.delete(slot)
                raise
            await client.set(slot, f"done:{body_fingerprint}:{created}", ex=REPLAY_TTL_SECONDS)
            return created, False
        stored = await client.get(slot)
        if stored is None:  # the first request failed and released the key: try to take it
            continue
        state, stored_fingerprint, *rest = stored.split(":")
        if stored_fingerprint != body_fingerprint:
            raise ValidationFailed(
                "This Idempotency-Key was already used for a different request. Use a new key for a new request."
            )
        if state == "done":
            return uuid.UUID(rest[0]), True
        if time.monotonic() > deadline:
            raise Conflict("A request with this Idempotency-Key is still being processed. Retry in a few seconds.")
        await asyncio.sleep(POLL_SECONDS)
