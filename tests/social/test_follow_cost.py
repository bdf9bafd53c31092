"""A follow's domain event goes to two job queues (notifications on the default one, the timeline backfill on
``timelines``): both jobs reach Valkey in ONE round trip after commit (``events.emit`` sends them as a batch)."""

from __future__ import annotations

import httpx

from tests.helpers import ValkeyLog


async def test_a_follows_jobs_reach_valkey_in_one_round_trip(
    client: httpx.AsyncClient, make_users, valkey_log: ValkeyLog
) -> None:
    alice, bob, carol = await make_users("alice", "bob", "carol")
    await client.post(f"/api/v1/users/{carol.username}/follow", headers=alice.headers)  # scripts loaded

    with valkey_log.measuring():
        response = await client.post(f"/api/v1/users/{bob.username}/follow", headers=alice.headers)
    assert response.status_code == 200, response.text

    after_commit = valkey_log.after_statement("INSERT INTO follows")
    # before: one round trip per job (two)
    assert after_commit == [["EVALSHA", "EVALSHA"]], after_commit
