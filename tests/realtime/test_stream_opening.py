"""An event stream's opening: the revocation check, the presence lease and the log read in one Valkey round trip
(``valkey_log`` counts the trips of the in-process stream, after the request's own credential check)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import msgspec

from salon.lib import auth
from salon.lib import valkey as valkey_client
from salon.realtime import presence
from salon.realtime.eventlog import StreamId
from salon.realtime.hub import LiveEvent, hub
from salon.realtime.stream import OPENING_COMMENT, EventStream
from salon.settings import get_settings
from tests.helpers import ValkeyLog, create_user
from tests.realtime.test_event_stream import ping
from tests.realtime.test_presence import befriend
from tests.realtime.test_stream_revocation import viewer

ALICE = "0190a000-0000-7000-8000-0000000000a1"
WARM = "0190a000-0000-7000-8000-0000000000ff"


async def warm_up() -> None:
    """Open and close one stream first, so every script the opening uses is loaded (a script the server does not
    know costs a reload trip; that case is tested in tests/lib/test_event_publish.py)."""
    frames = EventStream(viewer(WARM, "warm", issued_ms=int(time.time() * 1000)), None, get_settings()).frames()
    async with asyncio.timeout(5):
        await anext(frames)
        await frames.aclose()


async def test_a_fresh_stream_opens_in_one_round_trip(app: Any, valkey_log: ValkeyLog) -> None:
    await warm_up()
    frames = EventStream(viewer(ALICE, "phone", issued_ms=int(time.time() * 1000)), None, get_settings()).frames()
    try:
        with valkey_log.measuring():
            async with asyncio.timeout(5):
                opening = await anext(frames)

        assert opening.comment == OPENING_COMMENT
        # the revocation read, the presence lease and the log read (Alice has no friends: nobody to announce to)
        assert [names for _, names in valkey_log.trips] == [["EVALSHA"] * 3]
        assert await valkey_client.client().zcard(f"presence:streams:{ALICE}") == 1  # she counts as connected
    finally:
        await frames.aclose()


async def test_a_resumed_stream_opens_in_one_round_trip_and_replays_what_was_missed(
    app: Any, valkey_log: ValkeyLog
) -> None:
    await warm_up()
    await ping(ALICE, 1)
    [(first_id, _)] = await valkey_client.client().xrange(f"events:log:{ALICE}")
    await ping(ALICE, 2, 3)
    stream = EventStream(
        viewer(ALICE, "phone", issued_ms=int(time.time() * 1000)), StreamId.parse(first_id), get_settings()
    )
    frames = stream.frames()
    try:
        with valkey_log.measuring():
            async with asyncio.timeout(5):
                opening = await anext(frames)
            assert [names for _, names in valkey_log.trips] == [["EVALSHA"] * 3]

            async with asyncio.timeout(5):
                replayed = [await anext(frames), await anext(frames)]
        assert opening.comment == OPENING_COMMENT
        assert [(frame.event, frame.data) for frame in replayed] == [("test.ping", '{"n":2}'), ("test.ping", '{"n":3}')]
        assert len(valkey_log.trips) == 1  # the replay came from that one read
    finally:
        await frames.aclose()


async def test_coming_online_costs_the_announcement_only(client: httpx.AsyncClient, valkey_log: ValkeyLog) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    await befriend(client, alice, bob)
    await warm_up()
    frames = EventStream(viewer(alice.id, "phone", issued_ms=int(time.time() * 1000)), None, get_settings()).frames()
    try:
        with hub().subscribe(bob.id) as bobs, valkey_log.measuring():
            async with asyncio.timeout(5):
                await anext(frames)
            announced = await asyncio.wait_for(bobs.next(), 5)

        assert isinstance(announced, LiveEvent)
        assert announced.name == "presence"
        assert [names for _, names in valkey_log.trips] == [["EVALSHA"] * 3, ["PUBLISH"]]
    finally:
        await frames.aclose()


async def test_a_stream_revoked_before_it_subscribed_withdraws_its_lease_and_tells_no_one(
    client: httpx.AsyncClient,
) -> None:
    """The lease is taken in the same trip as the revocation check: a revoked stream takes it back, leaving no trace
    in presence (not connected, no offline check, nothing announced to friends)."""
    from salon.lib import jobs

    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    await befriend(client, alice, bob)
    await warm_up()
    revoked = viewer(alice.id, "phone", issued_ms=int(time.time() * 1000))
    await valkey_client.client().set(auth.revoked_before_key(alice.id), f"{revoked.issued:.3f}", ex=60)
    scheduled = await jobs.queue().count("incomplete")

    with hub().subscribe(bob.id) as bobs:
        frames = EventStream(revoked, None, get_settings()).frames()
        async with asyncio.timeout(5):
            frames_sent = [frame async for frame in frames]
        await ping(bob.id, 1)
        # one channel's messages arrive in order: had Alice been announced, that would have come first
        first = await asyncio.wait_for(bobs.next(), 5)

    assert [(frame.event, frame.data) for frame in frames_sent] == [("session.ended", '{"reason":"tokens_revoked"}')]
    assert isinstance(first, LiveEvent)
    assert first.name == "test.ping"
    assert await valkey_client.client().zcard(f"presence:streams:{alice.id}") == 0
    assert await jobs.queue().count("incomplete") == scheduled


async def test_a_withdrawn_lease_announces_a_stream_that_opened_on_the_strength_of_it(
    client: httpx.AsyncClient,
) -> None:
    """Another stream of the user opened while the withdrawn lease made them connected: it announced nothing, so the
    withdrawal announces the user online for it."""
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    await befriend(client, alice, bob)
    with hub().subscribe(bob.id) as bobs:
        [made_connected] = await valkey_client.run_scripts(
            [presence.lease_call(alice.id, "revoked-phone", 60_000)], raise_on_error=True
        )
        assert int(made_connected) == 1
        await presence.stream_opened(alice.id, "laptop", 60_000)  # already connected: announces nothing
        await presence.stream_withdrawn(alice.id, "revoked-phone", made_connected=True)
        await ping(bob.id, 1)
        received = [await asyncio.wait_for(bobs.next(), 5), await asyncio.wait_for(bobs.next(), 5)]

    announced, pinged = received
    assert isinstance(announced, LiveEvent)
    assert isinstance(pinged, LiveEvent)
    assert (announced.name, pinged.name) == ("presence", "test.ping")
    assert msgspec.json.decode(announced.payload) == {"user_id": alice.id, "status": "online", "last_seen": None}
    streams = await valkey_client.client().zrange(f"presence:streams:{alice.id}", 0, -1)
    assert streams == ["laptop"]


async def test_withdrawing_the_only_lease_leaves_the_user_offline_unannounced(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    await befriend(client, alice, bob)
    with hub().subscribe(bob.id) as bobs:
        await valkey_client.run_scripts([presence.lease_call(alice.id, "revoked-phone", 60_000)], raise_on_error=True)
        await presence.stream_withdrawn(alice.id, "revoked-phone", made_connected=True)
        await ping(bob.id, 1)
        first = await asyncio.wait_for(bobs.next(), 5)

    assert isinstance(first, LiveEvent)
    assert first.name == "test.ping"
    [seen] = await presence.presence_of(bob.id, [uuid.UUID(alice.id)])
    assert seen.status == "offline"
