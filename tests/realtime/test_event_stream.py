"""The event stream against real Granian processes: live delivery, resume, refetch, tickets, instances, shutdown.

Events are produced by the real publisher (``salon.lib.events.publish``) from the test process, which shares Valkey
with the servers; notification-driven streams are covered in tests/notifications.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import msgspec
import pytest

from salon.lib.events import event_type, publish
from salon.realtime.eventlog import StreamId
from salon.settings import get_settings
from tests.helpers import create_user
from tests.realtime.sse import open_stream


@event_type("test.ping")
class Ping(msgspec.Struct, frozen=True):
    n: int


async def ping(user_id: str, *numbers: int) -> None:
    for n in numbers:
        await publish("test.ping", Ping(n=n), [user_id])


@pytest.fixture
def server(live_server_factory: Callable[..., Any]) -> Any:
    return live_server_factory({"SALON_EVENTS_HEARTBEAT_SECONDS": "1"})


@pytest.fixture
def small_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The publisher (in this process) keeps at most 3 events per user."""
    monkeypatch.setenv("SALON_EVENTS_LOG_MAX_LENGTH", "3")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("SALON_EVENTS_LOG_MAX_LENGTH")
    get_settings.cache_clear()


async def test_published_event_reaches_the_open_stream(client: httpx.AsyncClient, server: Any) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    async with open_stream(server.url, alice.headers) as stream:
        assert stream.response.headers["content-type"].startswith("text/event-stream")
        await ping(alice.id, 1)
        await ping(bob.id, 99)  # someone else's event never shows up here
        event = await stream.next()
        assert (event.name, event.data) == ("test.ping", {"n": 1})
        assert StreamId.parse(event.id) > StreamId.parse(stream.opening_id or "0")
        assert await stream.nothing_more()


async def test_resume_replays_exactly_the_missed_events_then_continues_live(
    client: httpx.AsyncClient, server: Any
) -> None:
    alice = await create_user(client, "alice")
    async with open_stream(server.url, alice.headers) as stream:
        await ping(alice.id, 1)
        seen = await stream.next()
    await ping(alice.id, 2, 3, 4)
    async with open_stream(server.url, alice.headers, last_event_id=seen.id) as stream:
        replayed = await stream.collect(3)
        assert [event.data["n"] for event in replayed] == [2, 3, 4]
        assert [event.id for event in replayed] == sorted(event.id for event in replayed)
        await ping(alice.id, 5)
        live = await stream.next()
        assert live.data == {"n": 5}
        assert await stream.nothing_more()


async def test_resume_from_the_query_parameter(client: httpx.AsyncClient, server: Any) -> None:
    alice = await create_user(client, "alice")
    async with open_stream(server.url, alice.headers) as stream:
        start = stream.opening_id
    assert start is not None
    await ping(alice.id, 1, 2)
    async with open_stream(server.url, alice.headers, params={"last_event_id": start}) as stream:
        assert [event.data["n"] for event in await stream.collect(2)] == [1, 2]


async def test_fresh_stream_starts_at_the_tail_and_its_opening_id_resumes_without_loss(
    client: httpx.AsyncClient, server: Any
) -> None:
    alice = await create_user(client, "alice")
    await ping(alice.id, 1)  # before the stream: not replayed to a fresh stream
    async with open_stream(server.url, alice.headers) as stream:
        assert await stream.nothing_more()
        start = stream.opening_id
    await ping(alice.id, 2)
    async with open_stream(server.url, alice.headers, last_event_id=start) as stream:
        assert (await stream.next()).data == {"n": 2}


async def test_id_older_than_the_retained_log_sends_refetch_first(
    client: httpx.AsyncClient, server: Any, small_log: None
) -> None:
    alice = await create_user(client, "alice")
    async with open_stream(server.url, alice.headers) as stream:
        await ping(alice.id, 1)
        first = await stream.next()
    await ping(alice.id, 2, 3, 4, 5)  # the log keeps 3, so 2 is gone
    async with open_stream(server.url, alice.headers, last_event_id=first.id) as stream:
        refetch = await stream.next()
        assert (refetch.name, refetch.data) == ("refetch", {"reason": "log_trimmed"})
        await ping(alice.id, 6)
        assert (await stream.next()).data == {"n": 6}  # then live, from after the refetch point
        assert await stream.nothing_more()
    async with open_stream(server.url, alice.headers, last_event_id=refetch.id) as stream:
        assert (await stream.next()).data == {"n": 6}  # the refetch id is a valid resume point


async def test_an_id_still_in_the_log_after_trimming_replays_without_refetch(
    client: httpx.AsyncClient, server: Any, small_log: None
) -> None:
    alice = await create_user(client, "alice")
    await ping(alice.id, 1, 2, 3, 4)
    async with open_stream(server.url, alice.headers, last_event_id="0-0") as stream:
        assert (await stream.next()).name == "refetch"  # 1 was trimmed
    async with open_stream(server.url, alice.headers) as stream:
        tail = stream.opening_id
    await ping(alice.id, 5)
    async with open_stream(server.url, alice.headers, last_event_id=tail) as stream:
        assert (await stream.next()).data == {"n": 5}


async def test_two_instances_deliver_to_each_others_clients(
    client: httpx.AsyncClient, live_server_factory: Callable[..., Any]
) -> None:
    first, second = live_server_factory(), live_server_factory()
    alice = await create_user(client, "alice")
    async with open_stream(first.url, alice.headers) as on_first, open_stream(second.url, alice.headers) as on_second:
        await ping(alice.id, 1, 2, 3)
        for stream in (on_first, on_second):
            assert [event.data["n"] for event in await stream.collect(3)] == [1, 2, 3]


async def test_heartbeat_comments_keep_the_stream_alive(client: httpx.AsyncClient, server: Any) -> None:
    alice = await create_user(client, "alice")
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=httpx.Timeout(10, read=None)) as http,
        http.stream("GET", "/api/v1/events", headers=alice.headers) as response,
    ):
        received = ""
        async for chunk in response.aiter_text():
            received += chunk
            if received.count(": heartbeat") >= 2:
                break
        assert received.startswith(": salon events")


async def test_stream_ticket_opens_the_stream_once(client: httpx.AsyncClient, server: Any) -> None:
    alice = await create_user(client, "alice")
    response = await client.post("/api/v1/events/ticket", headers=alice.headers)
    assert response.status_code == 201
    ticket = response.json()
    assert ticket["expires_in"] == get_settings().stream_ticket_ttl_seconds
    async with open_stream(server.url, params={"ticket": ticket["ticket"]}) as stream:
        await ping(alice.id, 1)
        assert (await stream.next()).data == {"n": 1}
    reused = httpx.get(f"{server.url}/api/v1/events", params={"ticket": ticket["ticket"]}, timeout=5)
    assert reused.status_code == 401
    assert reused.json()["code"] == "invalid_ticket"


async def test_stream_refuses_missing_or_bad_credentials(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    anonymous = await client.get("/api/v1/events")
    assert anonymous.status_code == 401
    assert "ticket" in anonymous.json()["detail"]
    assert (await client.get("/api/v1/events", params={"ticket": "forged"})).status_code == 401
    assert (await client.post("/api/v1/events/ticket")).status_code == 401
    bad_id = await client.get("/api/v1/events", headers={**alice.headers, "Last-Event-ID": "yesterday"})
    assert bad_id.status_code == 400
    assert bad_id.headers["content-type"].startswith("application/problem+json")
    assert bad_id.json()["code"] == "invalid_event_id"


async def test_ticket_of_an_ended_session_is_refused(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    ticket = (await client.post("/api/v1/events/ticket", headers=alice.headers)).json()["ticket"]
    assert (await client.post("/api/v1/auth/logout", headers=alice.headers)).status_code == 204
    response = await client.get("/api/v1/events", params={"ticket": ticket})
    assert response.status_code == 401
    assert response.json()["code"] == "revoked"


async def test_sigterm_ends_open_streams_and_the_server_exits_promptly(
    client: httpx.AsyncClient, live_server_factory: Callable[..., Any]
) -> None:
    server = live_server_factory()
    alice = await create_user(client, "alice")
    async with open_stream(server.url, alice.headers) as stream:
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert await stream.ended(timeout=5)
        exit_code = await asyncio.to_thread(server.process.wait, 10)
        elapsed = time.monotonic() - started
    assert exit_code == 0
    # Granian's --workers-kill-timeout is 5 s: ending before it means the stream ended itself, not a kill.
    assert elapsed < 4, f"shutdown took {elapsed:.1f}s with a stream open"


async def test_an_id_this_log_never_issued_sends_refetch_then_live(client: httpx.AsyncClient, server: Any) -> None:
    alice = await create_user(client, "alice")
    async with open_stream(server.url, alice.headers, last_event_id="99999999999999-0") as stream:
        assert (await stream.next()).name == "refetch"
        await ping(alice.id, 1)
        assert (await stream.next()).data == {"n": 1}
