"""An open event stream ends when its session is revoked: at once through the revocation message the hub receives,
or at the lease keeper's next check when that message was missed; other sessions' streams stay open.

The servers under test are real Granian processes. Where the prompt path is tested, their heartbeat (and so the lease
keeper's periodic check) is 60 s, so only the revocation message can end a stream within the test's wait.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from salon.lib import auth
from salon.lib import valkey as valkey_client
from salon.lib.auth import Viewer
from salon.realtime import tickets
from salon.realtime.hub import LiveEvent, Subscription, hub
from salon.realtime.leases import BATCH, LeaseKeeper
from salon.realtime.stream import EventStream
from salon.settings import get_settings
from tests.helpers import DEFAULT_PASSWORD, TestUser, create_user
from tests.moderation.conftest import make_moderator
from tests.realtime.sse import StreamReader, open_stream
from tests.realtime.test_event_stream import ping

QUIET_KEEPER = {"SALON_EVENTS_HEARTBEAT_SECONDS": "60"}  # no periodic revocation check within a test


@pytest.fixture
def server(live_server_factory: Callable[..., Any]) -> Any:
    return live_server_factory(QUIET_KEEPER)


def claims(user: TestUser) -> dict[str, Any]:
    """The access token's payload (read without verifying: the test only needs the session id and issue time)."""
    encoded = user.access_token.split(".")[1]
    payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    return {**payload, **payload.get("extras", {})}


async def sign_in_again(client: httpx.AsyncClient, user: TestUser) -> TestUser:
    """A second session (another device) of the same user."""
    response = await client.post("/api/v1/auth/login", json={"login": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    token = body["access_token"]
    return TestUser(user.id, user.username, {"Authorization": f"Bearer {token}"}, token, body["refresh_token"])


async def assert_ended(stream: StreamReader, reason: str) -> None:
    """The stream's next event is ``session.ended`` with ``reason``, and then the server closes it (all within 5 s:
    ``next`` alone would wait for ever on a stream that keeps sending heartbeat comments)."""
    async with asyncio.timeout(5):
        event = await stream.next()
        assert (event.name, event.data) == ("session.ended", {"reason": reason})
        assert await stream.ended()


async def assert_open(stream: StreamReader, user_id: str, n: int) -> None:
    await ping(user_id, n)
    event = await stream.next(timeout=5)
    assert (event.name, event.data) == ("test.ping", {"n": n})


async def test_logout_ends_that_sessions_stream_and_not_the_other_devices(
    client: httpx.AsyncClient, server: Any
) -> None:
    phone = await create_user(client, "alice")
    laptop = await sign_in_again(client, phone)
    async with open_stream(server.url, phone.headers) as on_phone, open_stream(server.url, laptop.headers) as on_laptop:
        assert (await client.post("/api/v1/auth/logout", headers=phone.headers)).status_code == 204

        await assert_ended(on_phone, "session_ended")
        await assert_open(on_laptop, phone.id, 1)  # and the revocation message was not forwarded to it

    again = httpx.get(f"{server.url}/api/v1/events", headers=phone.headers, timeout=5)
    assert again.status_code == 401
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["code"] == "invalid_token"


async def test_ending_a_session_from_the_list_ends_its_ticket_opened_stream(
    client: httpx.AsyncClient, server: Any
) -> None:
    phone = await create_user(client, "alice")
    laptop = await sign_in_again(client, phone)
    ticket = (await client.post("/api/v1/events/ticket", headers=phone.headers)).json()["ticket"]
    async with open_stream(server.url, params={"ticket": ticket}) as on_phone:
        ended = await client.delete(f"/api/v1/auth/sessions/{claims(phone)['sid']}", headers=laptop.headers)
        assert ended.status_code == 204

        await assert_ended(on_phone, "session_ended")

    refused = await client.post("/api/v1/events/ticket", headers=phone.headers)  # no new ticket for that session
    assert refused.status_code == 401


async def test_password_change_ends_the_other_sessions_streams(client: httpx.AsyncClient, server: Any) -> None:
    laptop = await create_user(client, "alice")
    phone, tablet = await sign_in_again(client, laptop), await sign_in_again(client, laptop)
    async with (
        open_stream(server.url, laptop.headers) as on_laptop,
        open_stream(server.url, phone.headers) as on_phone,
        open_stream(server.url, tablet.headers) as on_tablet,
    ):
        changed = await client.post(
            "/api/v1/users/me/password",
            headers=laptop.headers,
            json={"current_password": DEFAULT_PASSWORD, "new_password": "a different long passphrase 42"},
        )
        assert changed.status_code == 204

        await assert_ended(on_phone, "session_ended")
        await assert_ended(on_tablet, "session_ended")
        await assert_open(on_laptop, laptop.id, 1)  # the session that changed the password stays signed in


async def test_deactivation_ends_every_stream_of_the_user_only(client: httpx.AsyncClient, server: Any) -> None:
    phone = await create_user(client, "alice")
    laptop = await sign_in_again(client, phone)
    bob = await create_user(client, "bob")
    async with (
        open_stream(server.url, phone.headers) as on_phone,
        open_stream(server.url, laptop.headers) as on_laptop,
        open_stream(server.url, bob.headers) as bobs,
    ):
        gone = await client.request(
            "DELETE", "/api/v1/users/me", headers=phone.headers, json={"password": DEFAULT_PASSWORD}
        )
        assert gone.status_code == 204

        await assert_ended(on_phone, "session_ended")
        await assert_ended(on_laptop, "session_ended")
        await assert_open(bobs, bob.id, 1)


async def test_tokens_revoked_before_now_end_their_streams_and_a_refreshed_token_streams_on(
    client: httpx.AsyncClient, server: Any
) -> None:
    alice = await create_user(client, "alice")
    async with open_stream(server.url, alice.headers) as stream:
        # What a role change does (``set_role``): every access token issued up to now is refused; the session lives.
        await auth.revoke_all_access_tokens(alice.id, get_settings().access_token_ttl_seconds)
        await assert_ended(stream, "tokens_revoked")

    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert refreshed.status_code == 200
    headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    async with open_stream(server.url, headers) as stream:
        await assert_open(stream, alice.id, 1)


async def test_revocations_reach_streams_on_every_instance(
    client: httpx.AsyncClient, live_server_factory: Callable[..., Any]
) -> None:
    first, second = live_server_factory(QUIET_KEEPER), live_server_factory(QUIET_KEEPER)
    alice = await create_user(client, "alice")
    async with open_stream(first.url, alice.headers) as on_first, open_stream(second.url, alice.headers) as on_second:
        assert (await client.post("/api/v1/auth/logout", headers=alice.headers)).status_code == 204
        await assert_ended(on_first, "session_ended")
        await assert_ended(on_second, "session_ended")


async def test_the_periodic_check_ends_a_stream_whose_revocation_message_was_missed(
    client: httpx.AsyncClient, live_server_factory: Callable[..., Any]
) -> None:
    server = live_server_factory({"SALON_EVENTS_HEARTBEAT_SECONDS": "1"})  # the lease keeper checks every second
    phone = await create_user(client, "alice")
    laptop = await sign_in_again(client, phone)
    async with open_stream(server.url, phone.headers) as on_phone, open_stream(server.url, laptop.headers) as on_laptop:
        # The key a session end sets, without the message that normally goes with it.
        await valkey_client.client().set(auth.revoked_session_key(claims(phone)["sid"]), "1", ex=60)

        await assert_ended(on_phone, "session_ended")
        await asyncio.sleep(2.5)  # two more checks: the other session is left alone
        await assert_open(on_laptop, phone.id, 1)


def viewer(user_id: str, session_id: str, *, jti: str = "", issued_ms: int = 1_700_000_000_000) -> Viewer:
    return Viewer(
        id=user_id,
        username="u",
        role="user",
        session_id=session_id,
        jti=jti or f"jti-{session_id}",
        issued_at=issued_ms // 1000,
        issued_at_ms=issued_ms,
    )


async def mget_calls() -> int:
    stats = await valkey_client.client().info("commandstats")
    return int(stats.get("cmdstat_mget", {}).get("calls", 0))


async def test_lease_keeper_check_reads_the_keys_in_one_mget_per_batch_and_ends_only_revoked_streams(app: Any) -> None:
    keeper = LeaseKeeper(heartbeat_seconds=60)
    count = 2 * BATCH + 1
    users = [f"0190a000-0000-7000-8000-{n:012d}" for n in range(count // 3 + 1)]  # 3 streams per user, issued apart
    subs = []
    for n in range(count):
        user_id = users[n % len(users)]
        sub = Subscription(user_id, 10, viewer(user_id, f"session-{n}", issued_ms=1_700_000_000_000 + n))
        keeper.add(f"stream-{n}", user_id, sub)
        subs.append(sub)
    ended_session, denied_jti, old_token, alone = 3, BATCH + 7, len(users) - 3, count - 1
    client = valkey_client.client()
    await client.set(auth.revoked_session_key(f"session-{ended_session}"), "1")
    await client.set(auth.deny_jti_key(f"jti-session-{denied_jti}"), "1")
    await client.set(auth.revoked_session_key(f"session-{alone}"), "1")  # the only stream of the last batch
    # Every token of this user issued up to (and including) this millisecond: this stream's, not the user's later ones.
    old = subs[old_token].viewer
    assert old is not None
    await client.set(auth.revoked_before_key(old.id), f"{old.issued:.3f}")

    before = await mget_calls()
    assert await keeper.check_revocations() == 4
    assert await mget_calls() - before == math.ceil(count / BATCH)  # 3 round trips for 1,001 streams

    reasons = {n: sub.ended.reason for n, sub in enumerate(subs) if sub.ended is not None}
    assert reasons == {
        ended_session: "session_ended",
        denied_jti: "session_ended",
        old_token: "tokens_revoked",
        alone: "session_ended",
    }
    later = [n for n, sub in enumerate(subs) if sub.user_id == old.id and n != old_token]
    assert later  # the same user's streams of later tokens were left open (above)
    assert min(later) > old_token

    await keeper.forget(f"stream-{ended_session}")  # what the stream does as it closes
    await client.set(auth.revoked_session_key("session-4"), "1")
    assert await keeper.check_revocations() == 1  # only the newly revoked one: ended streams are not ended twice
    assert subs[4].ended is not None


async def test_an_ended_subscription_drops_what_was_queued_and_takes_nothing_more() -> None:
    sub = Subscription("alice", 10, viewer("alice", "phone"))
    sub.deliver("resync")
    sub.end("session_ended")
    sub.deliver("resync")
    sub.close()
    item = await sub.next()
    assert getattr(item, "reason", None) == "session_ended"
    assert await sub.next(timeout=0) is None  # nothing else was queued


async def test_a_ticket_of_a_token_revoked_in_the_second_it_was_issued_is_refused(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    ticket = (await client.post("/api/v1/events/ticket", headers=alice.headers)).json()["ticket"]
    issued_ms = claims(alice)["iat_ms"]
    # Tokens issued up to this very millisecond are refused (the bearer check compares in ms: so must the ticket's).
    await valkey_client.client().set(auth.revoked_before_key(alice.id), f"{issued_ms / 1000:.3f}", ex=60)

    assert (await client.get("/api/v1/events", headers=alice.headers)).status_code == 401
    async with asyncio.timeout(5):  # the in-process client would wait for ever on a stream that opened
        response = await client.get("/api/v1/events", params={"ticket": ticket})
    assert response.status_code == 401
    assert response.json()["code"] == "revoked"


async def test_a_session_ended_between_the_streams_auth_check_and_its_subscription_ends_the_stream(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The revocation message goes out after the ticket was checked but before the stream subscribed, so it reaches
    no subscription: the stream's own check once subscribed ends it before anything is sent."""
    alice = await create_user(client, "alice")
    session_id = claims(alice)["sid"]
    ticket = (await client.post("/api/v1/events/ticket", headers=alice.headers)).json()["ticket"]
    redeem = tickets.redeem

    async def redeem_then_sign_out(*args: Any) -> Any:
        grant = await redeem(*args)
        with hub().subscribe(alice.id) as probe:  # no viewer: a revocation does not end it
            await auth.revoke_sessions_access([session_id], 60, owners={session_id: alice.id})
            await ping(alice.id, 1)
            # Messages on one channel are dispatched in order: the revocation message was handled (by nobody) first.
            assert isinstance(await asyncio.wait_for(probe.next(), 5), LiveEvent)
        return grant

    monkeypatch.setattr(tickets, "redeem", redeem_then_sign_out)
    async with asyncio.timeout(5):  # the in-process client returns once the stream has ended
        response = await client.get("/api/v1/events", params={"ticket": ticket})

    assert response.status_code == 200
    # The whole stream: that one event (no opening comment before it), then the end.
    assert response.text.splitlines() == ["event: session.ended", 'data: {"reason":"session_ended"}', ""]
    assert await valkey_client.client().zcard(f"presence:streams:{alice.id}") == 0  # nor was the user online


async def test_a_stream_whose_token_was_revoked_before_it_subscribed_ends_at_once(app: Any) -> None:
    """The same race with only the key in place (the message went to a hub that was reconnecting)."""
    user_id = "0190a000-0000-7000-8000-000000000001"
    alice = viewer(user_id, "phone", issued_ms=int(time.time() * 1000))
    await valkey_client.client().set(auth.revoked_before_key(user_id), f"{alice.issued:.3f}", ex=60)

    frames = EventStream(alice, None, get_settings()).frames()
    async with asyncio.timeout(5):
        first = await anext(frames)
        assert (first.event, first.data) == ("session.ended", '{"reason":"tokens_revoked"}')
        with pytest.raises(StopAsyncIteration):
            await anext(frames)


async def test_a_ban_ends_the_banned_users_streams_only(client: httpx.AsyncClient, server: Any) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    laptop = await sign_in_again(client, alice)
    moderator = await make_moderator(client)
    report = await client.post(
        "/api/v1/reports", json={"subject_type": "user", "subject_id": alice.id, "reason": "spam"}, headers=bob.headers
    )
    assert report.status_code == 201, report.text
    ticket = (await client.post("/api/v1/events/ticket", headers=laptop.headers)).json()["ticket"]
    async with (
        open_stream(server.url, alice.headers) as on_phone,
        open_stream(server.url, params={"ticket": ticket}) as on_laptop,
        open_stream(server.url, bob.headers) as bobs,
    ):
        banned = await client.post(
            f"/api/v1/moderation/items/{report.json()['id']}/decision",
            json={"action": "ban"},
            headers=moderator.headers,
        )
        assert banned.status_code == 201, banned.text

        await assert_ended(on_phone, "session_ended")
        await assert_ended(on_laptop, "session_ended")
        await assert_open(bobs, bob.id, 1)

    refused = await client.post("/api/v1/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert refused.status_code == 401  # so a client told to refresh could not come back either
