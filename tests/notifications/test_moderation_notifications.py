"""``moderation`` (to the author) and ``report_outcome`` (to reporters) notifications from ``moderation.decided``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.helpers import TestUser, create_user
from tests.moderation.conftest import make_moderator, post
from tests.notifications.test_notifications import notifications_of


async def report(client: httpx.AsyncClient, reporter: TestUser, post_id: str) -> dict[str, Any]:
    body = {"subject_type": "post", "subject_id": post_id, "reason": "spam"}
    response = await client.post("/api/v1/reports", json=body, headers=reporter.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def decide(client: httpx.AsyncClient, moderator: TestUser, item_id: str, action: str) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/moderation/items/{item_id}/decision", json={"action": action}, headers=moderator.headers
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_removal_notifies_the_author_and_every_reporter_without_naming_the_moderator(
    client: httpx.AsyncClient, run_jobs: Callable[[], Any]
) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    moderator = await make_moderator(client)
    target = await post(client, alice, "buy followers here")
    first = await report(client, bob, target["id"])
    await report(client, carol, target["id"])
    await client.post("/api/v1/users/mod/block", headers=alice.headers)  # blocking a moderator silences nothing

    decision = await decide(client, moderator, first["id"], "remove")
    await run_jobs()

    [for_alice] = await notifications_of(client, alice)
    assert (for_alice["type"], for_alice["group_key"]) == ("moderation", f"moderation:remove:{decision['id']}")
    assert [actor["username"] for actor in for_alice["actors"]] == ["alice"]  # not the moderator
    assert for_alice["post_id"] is None  # kept although the post is deleted
    for reporter in (bob, carol):
        [outcome] = await notifications_of(client, reporter)
        assert (outcome["type"], outcome["group_key"]) == ("report_outcome", f"report_outcome:remove:{decision['id']}")
        assert [actor["username"] for actor in outcome["actors"]] == [reporter.username]
    assert await notifications_of(client, moderator) == []


async def test_an_approval_tells_the_reporter_but_not_the_author(
    client: httpx.AsyncClient, run_jobs: Callable[[], Any]
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    moderator = await make_moderator(client)
    target = await post(client, alice, "a perfectly fine post")
    item = await report(client, bob, target["id"])

    decision = await decide(client, moderator, item["id"], "approve")
    await run_jobs()

    assert await notifications_of(client, alice) == []
    [outcome] = await notifications_of(client, bob, types="report_outcome")
    assert outcome["group_key"] == f"report_outcome:approve:{decision['id']}"
