"""Shared test helpers: users with tokens, and small HTTP conveniences."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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


valkey_log_measuring: contextvars.ContextVar[bool] = contextvars.ContextVar("valkey_log_measuring", default=False)


def resp_command_names(packed: bytes) -> list[str]:
    """The command names in what one socket write sends (RESP arrays of bulk strings; a pipeline sends several)."""
    names: list[str] = []
    position = 0
    while position < len(packed):
        assert packed[position : position + 1] == b"*", packed[position : position + 40]
        end = packed.index(b"\r\n", position)
        count = int(packed[position + 1 : end])
        position = end + 2
        for index in range(count):
            end = packed.index(b"\r\n", position)
            length = int(packed[position + 1 : end])
            if index == 0:
                names.append(packed[end + 2 : end + 2 + length].decode().upper())
            position = end + 2 + length + 2
    return names


class ValkeyLog:
    """The Valkey round trips the code under ``measuring()`` makes: every socket write of a valkey-py or redis-py
    (SAQ's) connection, which sends one command or a whole pipeline and then waits for the reply. Each trip is
    recorded with its command names and with how many database statements ``query_log`` had recorded before it, so
    a test can tell the trips after a statement (after a create's commit) from those before. Only records; tasks
    that did not start inside ``measuring()`` (the app's background loops) are not counted."""

    def __init__(self, query_log: QueryLog) -> None:
        self.query_log = query_log
        self.trips: list[tuple[int, list[str]]] = []

    @contextmanager
    def measuring(self) -> Iterator[None]:
        self.trips.clear()
        self.query_log.reset()
        token = valkey_log_measuring.set(True)
        try:
            yield
        finally:
            valkey_log_measuring.reset(token)

    def after_statement(self, marker: str) -> list[list[str]]:
        """The commands of each trip made after the last database statement containing ``marker``."""
        matching = [number for number, sql in enumerate(self.query_log.statements, 1) if marker in sql]
        assert matching, f"no statement contains {marker!r}:\n{self.query_log}"
        return [names for sent_after, names in self.trips if sent_after >= matching[-1]]
