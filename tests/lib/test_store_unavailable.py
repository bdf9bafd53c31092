"""Valkey unreachable (or no pooled connection free in time) is a 503 the client can retry, never a 500."""

from __future__ import annotations

import httpx
import pytest
from valkey.asyncio import Valkey

from salon.lib import valkey as valkey_client
from tests.conftest import free_port
from tests.helpers import create_user


async def test_an_unreachable_valkey_answers_503_problem_json_with_retry_after(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await create_user(client)
    nowhere = Valkey.from_url(f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=1)  # nothing listens
    monkeypatch.setattr(valkey_client, "_client", nowhere)
    try:
        response = await client.get("/api/v1/users/me", headers=alice.headers)  # the token revocation check fails
    finally:
        await nowhere.aclose()

    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "2"
    assert "Retry in a few seconds" in response.json()["detail"]
