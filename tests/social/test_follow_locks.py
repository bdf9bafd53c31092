"""Follows lock the two user rows against each other without blocking foreign-key checks on them.

A worker writing a row that references a user (a follow notification: recipient and actor) holds ``FOR KEY SHARE``
on those users until it commits. The follow request used to lock both users ``FOR UPDATE``, which conflicts with
``FOR KEY SHARE``: a follow back while the first follow's notification was being written deadlocked (500, found by
the admin fuzz pass).
"""

from __future__ import annotations

import asyncio
import os

import asyncpg
import httpx

from tests.helpers import create_user


async def test_follow_is_not_blocked_by_a_transaction_referencing_the_users(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    bob = await create_user(client, "bob")
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        transaction = conn.transaction()
        await transaction.start()
        # what inserting a row with foreign keys to both users takes, e.g. the worker writing a notification
        await conn.fetch("SELECT id FROM users WHERE id = ANY($1::uuid[]) FOR KEY SHARE", [alice.id, bob.id])
        follow = asyncio.ensure_future(client.post("/api/v1/users/alice/follow", headers=bob.headers))
        done, _ = await asyncio.wait([follow], timeout=5)
        await transaction.rollback()
        response = await follow
    finally:
        await conn.close()

    assert follow in done, "the follow waited for a transaction that only references the users"
    assert response.status_code == 200
    assert response.json() == {"following": True, "followers_count": 1}
