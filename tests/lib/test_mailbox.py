"""``Mailbox``: the bounded queue of one live-stream reader (event streams, local AI reply readers)."""

from __future__ import annotations

import asyncio
import time

from salon.lib.mailbox import Mailbox


async def test_a_wait_ends_with_none_at_its_timeout_and_at_once_for_an_item() -> None:
    mailbox: Mailbox[str] = Mailbox(10, "overflow")

    started = time.monotonic()
    assert await mailbox.get(timeout=0.05) is None  # the heartbeat's case: nothing raised
    waited = time.monotonic() - started
    asyncio.get_running_loop().call_later(0.05, mailbox.put, "item")
    started = time.monotonic()
    woken = await mailbox.get(timeout=5)
    woken_after = time.monotonic() - started
    mailbox.put("queued")
    queued = await mailbox.get(timeout=0)

    assert 0.04 <= waited < 1
    assert woken == "item"
    assert woken_after < 1  # not the 5 s timeout
    assert queued == "queued"


async def test_a_full_mailbox_drops_its_backlog_for_the_overflow_signal() -> None:
    mailbox: Mailbox[str] = Mailbox(2, "overflow")
    for item in ("a", "b", "c", "d"):
        mailbox.put(item)

    assert [await mailbox.get(0) for _ in range(3)] == ["overflow", "d", None]


async def test_replace_drops_what_is_queued() -> None:
    mailbox: Mailbox[str] = Mailbox(10, "overflow")
    mailbox.put("stale")
    mailbox.replace("closed")

    assert [await mailbox.get(0), await mailbox.get(0)] == ["closed", None]
