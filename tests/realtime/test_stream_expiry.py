"""An event stream lives no longer than its credential: at the access token's expiry (for a ticket, the expiry of the
token the ticket was issued from) it ends with ``session.ended`` ``token_expired``, and a client that refreshes and
resumes from its last id misses nothing.

The server under test issues 4-second access tokens, and its heartbeat (so the lease keeper's periodic check) is
60 s: only the expiry can end a stream within the test's wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.helpers import TestUser, create_user
from tests.realtime.sse import StreamReader, open_stream
from tests.realtime.test_event_stream import ping
from tests.realtime.test_stream_revocation import claims, sign_in_again

TOKEN_SECONDS = 4


@pytest.fixture
def server(live_server_factory: Callable[..., Any]) -> Any:
    return live_server_factory(
        {"SALON_ACCESS_TOKEN_TTL_SECONDS": str(TOKEN_SECONDS), "SALON_EVENTS_HEARTBEAT_SECONDS": "60"}
    )


async def short_lived(client: httpx.AsyncClient, server: Any) -> TestUser:
    """A user signed in on the server under test: their access token expires in at most ``TOKEN_SECONDS``."""
    user = await create_user(client, "alice")
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
        return await sign_in_again(http, user)


async def assert_expires(stream: StreamReader, expires_at: float) -> None:
    """The stream's next event is ``session.ended`` ``token_expired``, not before ``expires_at``; then it closes."""
    async with asyncio.timeout(expires_at - time.time() + 5):
        event = await stream.next(timeout=TOKEN_SECONDS + 5)
        assert (event.name, event.data) == ("session.ended", {"reason": "token_expired"})
        assert time.time() >= expires_at
        assert await stream.ended()


async def test_a_stream_ends_when_its_token_expires_and_the_refreshed_client_resumes_without_loss(
    client: httpx.AsyncClient, server: Any
) -> None:
    alice = await short_lived(client, server)
    async with open_stream(server.url, alice.headers) as stream:
        await ping(alice.id, 1)
        seen = await stream.next()
        assert seen.data == {"n": 1}

        await assert_expires(stream, claims(alice)["exp"])

    await ping(alice.id, 2, 3)  # while the client is away
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
        refreshed = await http.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    async with open_stream(server.url, headers, last_event_id=seen.id) as resumed:
        assert [event.data for event in await resumed.collect(2)] == [{"n": 2}, {"n": 3}]
        await ping(alice.id, 4)
        assert (await resumed.next()).data == {"n": 4}


async def test_a_ticket_opened_stream_ends_when_the_token_behind_the_ticket_expires(
    client: httpx.AsyncClient, server: Any
) -> None:
    alice = await short_lived(client, server)
    expires_at = claims(alice)["exp"]
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
        issued = [(await http.post("/api/v1/events/ticket", headers=alice.headers)).json() for _ in range(2)]
    assert all(0 < ticket["expires_in"] <= TOKEN_SECONDS for ticket in issued)  # not the 60 s tickets otherwise get

    async with open_stream(server.url, params={"ticket": issued[0]["ticket"]}) as stream:
        await assert_expires(stream, expires_at)

    late = httpx.get(f"{server.url}/api/v1/events", params={"ticket": issued[1]["ticket"]}, timeout=5)
    assert late.status_code == 401  # a ticket does not outlive its token either
    assert late.json()["code"] == "invalid_ticket"
    expired = httpx.post(f"{server.url}/api/v1/events/ticket", headers=alice.headers, timeout=5)
    assert expired.status_code == 401
    assert expired.json()["code"] == "invalid_token"
