"""Presence leases: one task renews every open stream's lease of the process; a closed stream's end is never undone."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from salon.lib import valkey as valkey_client
from salon.realtime import presence
from salon.realtime.leases import LeaseKeeper
from tests.helpers import ValkeyLog

ALICE = "0190a000-0000-7000-8000-0000000000a1"
BOB = "0190a000-0000-7000-8000-0000000000b2"


async def lease_ends(user_id: str, stream_id: str) -> float:
    score = await valkey_client.client().zscore(f"presence:streams:{user_id}", stream_id)
    assert score is not None, f"no lease for {stream_id}"
    return float(score)


async def test_one_renewal_extends_the_lease_of_every_stream_of_the_process(app: Any) -> None:
    keeper = LeaseKeeper(heartbeat_seconds=1.0)
    streams = ((ALICE, "alices-phone"), (ALICE, "alices-laptop"), (BOB, "bobs-phone"))  # ids are unique per stream
    for user_id, stream_id in streams:
        await presence.stream_opened(user_id, stream_id, lease_ms=1_000)
        keeper.add(stream_id, user_id)
    before = time.time() * 1000

    await keeper.renew_all()

    for user_id, stream_id in streams:
        assert await lease_ends(user_id, stream_id) >= before + keeper.lease_ms - 50


async def test_a_batch_of_renewals_is_one_round_trip(app: Any, valkey_log: ValkeyLog) -> None:
    keeper = LeaseKeeper(heartbeat_seconds=1.0)
    streams = ((ALICE, "alices-phone"), (ALICE, "alices-laptop"), (BOB, "bobs-phone"))
    for user_id, stream_id in streams:
        await presence.stream_opened(user_id, stream_id, lease_ms=1_000)  # (loads the script)
        keeper.add(stream_id, user_id)

    with valkey_log.measuring():
        await keeper.renew_all()

    # valkey-py's script call in a pipeline sent SCRIPT EXISTS first: two trips per batch
    assert [names for _, names in valkey_log.trips] == [["EVALSHA"] * 3]


async def test_a_forgotten_stream_keeps_its_close_through_later_renewals(app: Any) -> None:
    keeper = LeaseKeeper(heartbeat_seconds=1.0)
    await presence.stream_opened(ALICE, "phone", lease_ms=keeper.lease_ms)
    keeper.add("phone", ALICE)

    await keeper.forget("phone")  # what a closing stream does before it records its close
    await presence.stream_closed(ALICE, "phone", grace_ms=500)
    closed_until = await lease_ends(ALICE, "phone")
    await keeper.renew_all()

    assert await lease_ends(ALICE, "phone") == closed_until
    assert len(keeper) == 0


async def test_a_renewal_reports_users_whose_leases_had_run_out(app: Any) -> None:
    await presence.stream_opened(ALICE, "alices-phone", lease_ms=1)
    await presence.stream_opened(BOB, "bobs-phone", lease_ms=60_000)
    await asyncio.sleep(0.01)

    reconnected = await presence.renew_leases([("alices-phone", ALICE), ("bobs-phone", BOB)], lease_ms=60_000)

    assert reconnected == {ALICE}  # Bob never stopped counting as connected
