"""Shared test helpers: users with tokens, and small HTTP conveniences."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

DEFAULT_PASSWORD = "correct horse battery staple"


@dataclass
class TestUser:
    __test__ = False  # a helper, not a test class for pytest to collect
    id: str
    username: str
    headers: dict[str, str]
    access_token: str
    refresh_token: str | None = None


async def create_user(client: httpx.AsyncClient, username: str | None = None, **profile: str) -> TestUser:
    """Register a user through the API and return them with an Authorization header."""
    username = username or f"u{uuid.uuid4().hex[:10]}"
    response = await client.post(
        "/api/v1/auth/register",
        json={"username": username, "email": f"{username}@example.com", "password": DEFAULT_PASSWORD, **profile},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    token = body["access_token"]
    return TestUser(
        id=body["user"]["id"],
        username=body["user"]["username"],
        headers={"Authorization": f"Bearer {token}"},
        access_token=token,
        refresh_token=body["refresh_token"],
    )


class QueryLog:
    """The database round trips the app makes, in order: every statement Piccolo sends (``run_querystring``,
    ``run_ddl``) and every ``BEGIN``/``COMMIT``/``ROLLBACK`` of a Piccolo transaction. Only records; everything still
    runs against Postgres."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()

    def __str__(self) -> str:
        return "\n".join(f"{number}: {' '.join(sql.split())}" for number, sql in enumerate(self.statements, 1))
