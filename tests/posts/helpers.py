"""Small conveniences for posts tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import TestUser


async def new_post(client: httpx.AsyncClient, author: TestUser, content: str = "hello", **fields: Any) -> dict:
    response = await client.post("/api/v1/posts", json={"content": content, **fields}, headers=author.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def befriend(client: httpx.AsyncClient, a: TestUser, b: TestUser) -> None:
    request = await client.post("/api/v1/friends/requests", json={"username": b.username}, headers=a.headers)
    accepted = await client.post(f"/api/v1/friends/requests/{request.json()['id']}/accept", headers=b.headers)
    assert accepted.status_code == 200, accepted.text


async def all_pages(client: httpx.AsyncClient, path: str, headers: dict | None = None, limit: int = 20) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(path, params=params, headers=headers or {})).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
