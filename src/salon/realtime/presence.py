"""Presence: online while a user has an open event stream, ``idle`` when their client says so, else offline.

State in Valkey, per user:
- ``presence:streams:{user}``: a sorted set of open streams, scored by when each stops counting (ms). Its process
  pushes the score forward while it is open (``salon.realtime.leases``); a closed stream keeps counting for the
  grace period (a page reload does not flap to offline); a stream of a crashed process simply stops counting. A user
  is connected while any score is in the future.
- ``presence:state:{user}``: a hash with ``mode`` (``online`` | ``idle``, set by the client) and ``last_seen`` (ms).

Friends and mutual follows get ``presence`` events (ephemeral) on each change, unless the user hides their presence
(``presence_settings.hidden``): then everyone else sees them offline with no last-seen time.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Literal

from salon.accounts.tables import User
from salon.lib import events, jobs
from salon.lib import valkey as valkey_client
from salon.lib.db import unit_of_work
from salon.realtime.events import PresenceChanged, PresenceStatus
from salon.realtime.schemas import PresencePreference, UserPresence
from salon.realtime.tables import PresenceSetting

ClientMode = Literal["online", "idle"]


def _streams_key(user_id: str) -> str:
    return f"presence:streams:{user_id}"


def _state_key(user_id: str) -> str:
    return f"presence:state:{user_id}"


def _now_ms() -> int:
    return int(time.time() * 1000)


# Register (or refresh) one open stream; reply 1 when the user was not connected before it.
_OPEN = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local was_connected = redis.call('ZCARD', KEYS[1]) > 0
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if not was_connected then
  redis.call('HSET', KEYS[2], 'mode', 'online', 'last_seen', ARGV[3])
  return 1
end
redis.call('HSET', KEYS[2], 'last_seen', ARGV[3])
return 0
"""


async def stream_opened(user_id: str, stream_id: str, lease_ms: int) -> None:
    """A stream of ``user_id`` opened: it counts for ``lease_ms`` (then ``salon.realtime.leases`` renews it)."""
    if await renew_leases([(stream_id, user_id)], lease_ms):
        await announce_online(user_id)


def lease_call(user_id: str, stream_id: str, lease_ms: int, now_ms: int | None = None) -> valkey_client.ScriptCall:
    """Take or renew one stream's lease, as one script call for a caller's pipeline (``run_scripts``). Its reply is
    1 when this made the user connected: the caller then announces it (``announce_online``), as ``stream_opened``
    does; a stream that never opened after all is undone with ``stream_withdrawn``."""
    now = _now_ms() if now_ms is None else now_ms
    return valkey_client.ScriptCall(
        valkey_client.script(_OPEN),
        [_streams_key(user_id), _state_key(user_id)],
        [stream_id, now + lease_ms, now, lease_ms * 4],
        "presence lease",
    )


async def renew_leases(streams: list[tuple[str, str]], lease_ms: int) -> set[str]:
    """Take or renew the leases of open streams (``(stream id, user id)`` pairs) in one pipelined round trip; returns
    the users this made connected (a new stream's, or one whose leases had run out while Valkey was unreachable)."""
    if not streams:
        return set()
    now = _now_ms()
    calls = [lease_call(user_id, stream_id, lease_ms, now) for stream_id, user_id in streams]
    replies = await valkey_client.run_scripts(calls, raise_on_error=True)
    return {user_id for (_, user_id), became in zip(streams, replies, strict=True) if int(became)}


async def stream_withdrawn(user_id: str, stream_id: str, *, made_connected: bool) -> None:
    """Undo ``lease_call`` for a stream that took its lease but never opened (its access turned out revoked in the
    same round trip): the lease goes at once, with no grace period and no offline check, as if never taken.

    ``made_connected``: the lease's reply was 1. No one was told the user came online, and nobody is told now, unless
    another stream of the user opened meanwhile: that one saw this lease, so it announced nothing and relies on this
    stream's announcement, made here. (The ``last_seen`` and ``mode`` the lease wrote stay: nothing reads ``mode``
    without a lease, except an offline check that a closed stream had already scheduled.)"""
    async with valkey_client.client().pipeline(transaction=True) as pipe:
        pipe.zrem(_streams_key(user_id), stream_id)
        pipe.zcount(_streams_key(user_id), _now_ms(), "+inf")
        _, connected = await pipe.execute()
    if made_connected and connected:
        await announce_online(user_id)


async def announce_online(user_id: str) -> None:
    await _announce(user_id, "online", None)


async def stream_closed(user_id: str, stream_id: str, grace_ms: int) -> None:
    """A stream closed: it keeps the user connected for ``grace_ms``, then a job checks whether they went offline.

    No job when another of the user's streams holds a lease beyond that grace period: the user is still connected
    then, and that stream's own end schedules the check. (Thousands of streams ending together, a client fleet
    reconnecting, would otherwise queue a job each and hold up every other enqueue of the process.)"""
    now = _now_ms()
    ends = now + grace_ms
    async with valkey_client.client().pipeline(transaction=True) as pipe:
        pipe.zadd(_streams_key(user_id), {stream_id: ends}, xx=True)
        pipe.hset(_state_key(user_id), "last_seen", now)
        pipe.zcount(_streams_key(user_id), f"({ends}", "+inf")
        _, _, outlasting = await pipe.execute()
    if outlasting:
        return
    from salon.realtime.jobs import presence_check_offline

    await jobs.enqueue(
        presence_check_offline,
        key=f"presence-offline:{user_id}:{stream_id}",
        scheduled=int(now / 1000 + grace_ms / 1000) + 1,
        user_id=user_id,
    )


async def announce_if_offline(user_id: str) -> None:
    """Job body: after a grace period, tell the audience the user went offline (unless a stream came back)."""
    if await _connected(user_id):
        return
    state = await valkey_client.client().hgetall(_state_key(user_id))
    if state.get("mode") == "offline":
        return  # already announced by another closed stream's check
    await valkey_client.client().hset(_state_key(user_id), "mode", "offline")
    await _announce(user_id, "offline", int(state["last_seen"]) if state.get("last_seen") else None)


async def set_mode(user_id: str, mode: ClientMode) -> UserPresence:
    """``POST /presence``: the client says the user is active (``online``) or away (``idle``)."""
    key = _state_key(user_id)
    async with valkey_client.client().pipeline(transaction=True) as pipe:
        pipe.hget(key, "mode")
        pipe.hset(key, mapping={"mode": mode, "last_seen": _now_ms()})
        previous, _ = await pipe.execute()
    connected = await _connected(user_id)
    status: PresenceStatus = mode if connected else "offline"
    if connected and previous != mode:
        await _announce(user_id, status, None)
    return UserPresence(user_id=user_id, status=status, last_seen=None if connected else _now_ms())


async def presence_of(viewer_id: str, user_ids: list[uuid.UUID]) -> list[UserPresence]:
    """The presence of ``user_ids`` as ``viewer_id`` may see it (fixed cost: two queries and one pipeline)."""
    from salon.social.services import blocked_between_ids

    hidden = await _hidden_among(user_ids) - {uuid.UUID(viewer_id)}
    blocked = await blocked_between_ids(viewer_id, user_ids)
    ids = [str(user_id) for user_id in user_ids]
    now = _now_ms()
    async with valkey_client.client().pipeline(transaction=False) as pipe:
        for user_id in ids:
            pipe.zcount(_streams_key(user_id), now, "+inf")
            pipe.hgetall(_state_key(user_id))
        replies = await pipe.execute()
    result = []
    for index, user_id in enumerate(ids):
        if uuid.UUID(user_id) in hidden | blocked:
            result.append(UserPresence(user_id=user_id, status="offline", last_seen=None))
            continue
        connected, state = replies[2 * index] > 0, replies[2 * index + 1]
        last_seen = int(state["last_seen"]) if state.get("last_seen") else None
        if connected:
            result.append(UserPresence(user_id=user_id, status=_mode(state), last_seen=None))
        else:
            result.append(UserPresence(user_id=user_id, status="offline", last_seen=last_seen))
    return result


async def active_user_ids(user_ids: Iterable[str]) -> set[str]:
    """Of ``user_ids``, those connected whose client says they are active (not idle): their real state, also when
    they hide their presence. For the server's own decisions (e.g. whether to notify); never shown to anyone."""
    ids = list(user_ids)
    now = _now_ms()
    async with valkey_client.client().pipeline(transaction=False) as pipe:
        for user_id in ids:
            pipe.zcount(_streams_key(user_id), now, "+inf")
            pipe.hget(_state_key(user_id), "mode")
        replies = await pipe.execute()
    return {user_id for index, user_id in enumerate(ids) if replies[2 * index] > 0 and replies[2 * index + 1] != "idle"}


async def preference(user_id: str) -> PresencePreference:
    rows = await PresenceSetting.select(PresenceSetting.hidden).where(PresenceSetting.owner == user_id)
    return PresencePreference(hidden=bool(rows and rows[0]["hidden"]))


async def set_preference(user_id: str, hidden: bool) -> PresencePreference:
    """Hide or show the user's presence. Hiding tells the audience "offline" at once; showing, the real status."""
    async with unit_of_work():
        await PresenceSetting.raw(
            "INSERT INTO presence_settings (owner, hidden, updated_at) VALUES ({}, {}, now()) "
            "ON CONFLICT (owner) DO UPDATE SET hidden = EXCLUDED.hidden, updated_at = now()",
            uuid.UUID(user_id),
            hidden,
        )
    if hidden:
        await _publish(user_id, PresenceChanged(user_id=user_id, status="offline", last_seen=None))
    elif await _connected(user_id):
        state = await valkey_client.client().hgetall(_state_key(user_id))
        await _announce(user_id, _mode(state), None)
    return PresencePreference(hidden=hidden)


def _mode(state: dict[str, str]) -> PresenceStatus:
    return "idle" if state.get("mode") == "idle" else "online"


async def _connected(user_id: str) -> bool:
    return await valkey_client.client().zcount(_streams_key(user_id), _now_ms(), "+inf") > 0


async def _hidden_among(user_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    ids = list(user_ids)
    if not ids:
        return set()
    rows = await PresenceSetting.raw(
        "SELECT owner FROM presence_settings WHERE hidden AND owner = ANY({}::uuid[])", ids
    )
    return {row["owner"] for row in rows}


async def _announce(user_id: str, status: PresenceStatus, last_seen: int | None) -> None:
    if await _hidden_among([uuid.UUID(user_id)]):
        return
    await _publish(user_id, PresenceChanged(user_id=user_id, status=status, last_seen=last_seen))


async def _publish(user_id: str, event: PresenceChanged) -> None:
    await events.publish("presence", event, await audience(user_id))


async def audience(user_id: str) -> list[str]:
    """Who gets ``user_id``'s presence events: their friends and mutual follows.

    The social package exposes no "friends and mutual follows of X" helper yet, so this reads its tables directly
    (read-only, one indexed query); move it behind a ``salon.social.services`` function when there is one.
    """
    rows = await User.raw(
        "SELECT friend AS id FROM friendships WHERE owner = {} "
        "UNION SELECT f.followee FROM follows f JOIN follows back "
        "ON back.follower = f.followee AND back.followee = f.follower WHERE f.follower = {}",
        uuid.UUID(user_id),
        uuid.UUID(user_id),
    )
    return [str(row["id"]) for row in rows]
