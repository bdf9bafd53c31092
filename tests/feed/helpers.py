"""Small conveniences for feed tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from tests.helpers import TestUser


async def follow(client: httpx.AsyncClient, follower: TestUser, followee: TestUser) -> None:
    response = await client.post(f"/api/v1/users/{followee.username}/follow", headers=follower.headers)
    assert response.status_code == 200, response.text


async def feed(client: httpx.AsyncClient, user: TestUser, **params: Any) -> dict:
    response = await client.get("/api/v1/feed", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def feed_ids(client: httpx.AsyncClient, user: TestUser, **params: Any) -> list[str]:
    return [item["post"]["id"] for item in (await feed(client, user, **params))["items"]]


async def every_page(client: httpx.AsyncClient, user: TestUser, algorithm: str, limit: int) -> list[dict]:
    items: list[dict] = []
    cursor = None
    for _ in range(100):
        page = await feed(client, user, algorithm=algorithm, limit=limit, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the feed never ended")


def scans(plan: dict[str, Any], relation: str) -> Iterator[dict[str, Any]]:
    """The nodes of an ``EXPLAIN (FORMAT JSON)`` plan that scan ``relation``."""
    if plan.get("Relation Name") == relation:
        yield plan
    for child in plan.get("Plans", []):
        yield from scans(child, relation)
