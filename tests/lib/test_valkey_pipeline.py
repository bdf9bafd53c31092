"""``valkey.pipelined``: the small writes of many tasks share one pipeline, so thousands of AI replies streaming at once
do not each hold a pooled connection (2,000 of them exhausted the pool, and requests waiting for one failed)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from valkey.asyncio import Valkey
from valkey.exceptions import ConnectionError as ValkeyConnectionError
from valkey.exceptions import ResponseError

from salon.lib import valkey as valkey_client
from tests.conftest import free_port
from tests.helpers import ValkeyLog

pytestmark = pytest.mark.usefixtures("app")


async def test_callers_waiting_together_go_in_one_round_trip_and_each_gets_its_own_results(
    valkey_log: ValkeyLog,
) -> None:
    async def append(index: int) -> list[Any]:
        key = f"test:shared:{index}"
        return await valkey_client.pipelined(("XADD", key, "*", "n", str(index)), ("EXPIRE", key, 60))

    await valkey_client.pipelined(("PING",))  # a pooled connection, opened (its handshake is a trip of its own)
    with valkey_log.measuring():
        results = await asyncio.gather(*(append(index) for index in range(50)))

    assert valkey_log.trips == [(0, ["XADD", "EXPIRE"] * 50)]
    client = valkey_client.client()
    for index, (entry_id, expiring) in enumerate(results):
        assert expiring is True
        assert await client.xrange(f"test:shared:{index}") == [(entry_id, {"n": str(index)})]


async def test_a_failed_command_fails_only_its_caller() -> None:
    await valkey_client.client().set("test:shared:string", "not a stream")

    wrong, right = await asyncio.gather(
        valkey_client.pipelined(("XADD", "test:shared:string", "*", "n", "1")),
        valkey_client.pipelined(("XADD", "test:shared:stream", "*", "n", "1")),
        return_exceptions=True,
    )

    assert isinstance(wrong, ResponseError)
    assert "WRONGTYPE" in str(wrong)
    assert isinstance(right, list)
    assert await valkey_client.client().xlen("test:shared:stream") == 1


async def test_a_cancelled_caller_still_has_its_commands_sent() -> None:
    first = asyncio.create_task(valkey_client.pipelined(("XADD", "test:shared:cancelled", "*", "n", "1")))
    await asyncio.sleep(0)  # submitted
    first.cancel()
    await valkey_client.pipelined(("XADD", "test:shared:cancelled", "*", "n", "2"))  # sent after the first

    assert first.cancelled()
    entries = await valkey_client.client().xrange("test:shared:cancelled")
    assert [fields["n"] for _, fields in entries] == ["1", "2"]


async def test_an_unreachable_valkey_fails_every_waiting_caller_with_a_connection_error() -> None:
    nowhere = Valkey.from_url(f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=1)  # nothing listens
    shared = valkey_client.SharedPipeline(nowhere)
    try:
        outcomes = await asyncio.gather(
            *(shared.submit([("SET", f"test:shared:{n}", "1")]) for n in range(3)), return_exceptions=True
        )
        outcomes += await asyncio.gather(shared.submit([("SET", "test:shared:again", "1")]), return_exceptions=True)
    finally:
        await nowhere.aclose()

    assert all(isinstance(outcome, ValkeyConnectionError) for outcome in outcomes), outcomes
