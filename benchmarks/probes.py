"""Latency probes that read streams frame by frame while k6 generates the load.

k6 sees a streamed response only once it has ended, so it cannot time individual chunks or events. These probes run
a few clients of their own (httpx, on the same machine as the load) and time what k6 cannot: the arrival of each AI
chunk, and how long after an action its event reaches another user's stream. They sign in as seeded users below the
ones k6 uses (``user00010`` ...), so they never share a conversation or a chat with the load.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx

from salon.ai.standin import sent_stamps

AI_MESSAGE = "Tell me something about streaming replies. " * 6


def percentiles(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)

    return {"count": len(values), "p50": at(0.5), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1], 2),
            "mean": round(statistics.fmean(values), 2)}  # fmt: skip


async def sign_in(client: httpx.AsyncClient, api: str, index: int, password: str) -> dict[str, str]:
    res = await client.post(f"{api}/auth/login", json={"login": f"user{index:05d}", "password": password})
    res.raise_for_status()
    data = res.json()
    return {"Authorization": f"Bearer {data['access_token']}", "username": data["user"]["username"]}


def _auth(session: dict[str, str]) -> dict[str, str]:
    return {"Authorization": session["Authorization"]}


async def sse_frames(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """``(event, data)`` of each frame as it arrives; a comment line is ``("comment", text)``."""
    event, data = "message", []
    async for line in response.aiter_lines():
        if line.startswith(":"):
            yield "comment", line[1:].strip()
        elif not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())


# AI chunks ---------------------------------------------------------------------------------------------------------


async def _conversation(api: str, session: dict[str, str]) -> str:
    """A conversation of the probe's own, made before the load (under load, making it could outlast the probe)."""
    async with httpx.AsyncClient(timeout=60, headers=_auth(session)) as client:
        res = await client.post(f"{api}/ai/conversations", json={"title": "probe"})
        res.raise_for_status()
        return f"{api}/ai/conversations/{res.json()['id']}/messages"


async def _ai_client(url: str, session: dict[str, str], until: float, pacing_ms: float, into: dict[str, list[float]]):
    """Replies in the conversation at ``url``, one after another: at least one, and more until ``until``.
    ``added_ms``: how long after the stand-in sent a chunk it arrived here (the stand-in runs with ``--stamp``, on
    this machine: one monotonic clock). ``gap_added_ms``: the inter-arrival beyond the stand-in's pacing, which also
    counts the stand-in's own lateness (what earlier runs reported as ``added_ms``)."""
    async with httpx.AsyncClient(timeout=600, headers=_auth(session)) as client:
        while True:
            sent = time.monotonic()
            previous = None
            async with client.stream("POST", url, json={"content": AI_MESSAGE}) as response:
                async for event, data in sse_frames(response):
                    now = time.monotonic()
                    if event == "ai_chunk":
                        into["added_ms"].extend((now - stamp) * 1000 for stamp in sent_stamps(data))
                        if previous is None:
                            into["first_chunk_ms"].append((now - sent) * 1000)
                        else:
                            gap = (now - previous) * 1000
                            into["inter_arrival_ms"].append(gap)
                            into["gap_added_ms"].append(max(0.0, gap - pacing_ms))
                        previous = now
                    elif event == "error":
                        into["errors"].append(1)
            into["stream_ms"].append((time.monotonic() - sent) * 1000)
            if time.monotonic() >= until:
                return


AI_REPLY_ROUTE = "/api/v1/ai/conversations/{conversation_id}/messages"


async def replies_in_flight(client: httpx.AsyncClient, metrics_url: str) -> int:
    """AI replies salon is streaming now, from its Prometheus gauge ``salon_requests_in_progress`` (one Granian
    worker's, the one that answered)."""
    from prometheus_client.parser import text_string_to_metric_families

    text = (await client.get(metrics_url)).text
    return int(
        sum(
            sample.value
            for family in text_string_to_metric_families(text)
            if family.name == "salon_requests_in_progress"
            for sample in family.samples
            if sample.labels.get("method") == "POST" and sample.labels.get("path") == AI_REPLY_ROUTE
        )
    )


async def wait_for_load(metrics_url: str, replies: int, patience: float) -> dict[str, float | int]:
    """Wait until ``replies`` AI replies are in flight: k6 signs in every virtual user (argon2, seconds per batch)
    and creates their conversations before the load starts, and chunks timed during that setup measure the
    sign-ins, not the streams. Gives up after ``patience`` seconds (the probe then runs anyway, and says so)."""
    started = time.monotonic()
    in_flight = 0
    async with httpx.AsyncClient(timeout=10) as client:
        while time.monotonic() - started < patience:
            with contextlib.suppress(httpx.HTTPError):
                in_flight = await replies_in_flight(client, metrics_url)
            if in_flight >= replies:
                break
            await asyncio.sleep(0.5)
    return {"waited_for_load_s": round(time.monotonic() - started, 1), "replies_in_flight_at_start": in_flight,
            "replies_wanted": replies}  # fmt: skip


async def probe_ai_chunks(
    api: str,
    password: str,
    *,
    delay: float,
    seconds: float,
    clients: int = 4,
    pacing_ms: float = 30.0,
    load: tuple[str, int, float] | None = None,
) -> dict[str, Any]:
    """Time each chunk of AI replies on ``clients`` streams of our own: client-side time to first chunk, inter-arrival,
    and the latency added to each chunk after the stand-in sent it (see ``_ai_client``). With ``load`` =
    ``(metrics url, replies, patience)``, timing starts ``delay`` seconds after that many replies are in flight
    (``wait_for_load``)."""
    async with httpx.AsyncClient(timeout=60) as client:
        sessions = [await sign_in(client, api, 10 + n, password) for n in range(clients)]
    urls = [await _conversation(api, session) for session in sessions]
    waited = await wait_for_load(*load) if load else {}
    await asyncio.sleep(delay)
    into: dict[str, list[float]] = {"first_chunk_ms": [], "inter_arrival_ms": [], "added_ms": [], "gap_added_ms": [],
                                    "stream_ms": [], "errors": []}  # fmt: skip
    until = time.monotonic() + max(1.0, seconds - delay)
    await asyncio.gather(*(_ai_client(url, s, until, pacing_ms, into) for url, s in zip(urls, sessions, strict=True)))
    timed = {name: percentiles(values) for name, values in into.items() if name != "errors"}
    return timed | {"errors": len(into["errors"])} | waited


# Event delivery ----------------------------------------------------------------------------------------------------


async def _listen(api: str, session: dict[str, str], sent: dict[str, float], delays: list[float], ready: asyncio.Event):
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(10, read=None), headers=_auth(session)) as client,
        client.stream("GET", f"{api}/events") as response,
    ):
        response.raise_for_status()
        async for event, data in sse_frames(response):
            ready.set()  # the stream's first frame (its opening comment) comes once it is subscribed
            if event != "message":
                continue
            for marker, started in list(sent.items()):
                if marker in data:
                    delays.append((time.monotonic() - started) * 1000)
                    del sent[marker]


async def open_event_streams(api: str) -> int:
    """Event streams the server has open now (its ``requests_in_progress`` gauge for ``GET /api/v1/events``)."""
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(api.removesuffix("/api/v1") + "/metrics")).text
    return int(sum(
        float(line.rpartition(" ")[2]) for line in text.splitlines()
        if line.startswith("salon_requests_in_progress{") and 'path="/api/v1/events"' in line and 'method="GET"' in line
    ))  # fmt: skip


async def wait_for_streams(api: str, streams: int, patience: float) -> tuple[int, float]:
    """Wait until ``streams`` event streams are open (or their number stops growing for 5 s); returns how many, and
    when (``time.monotonic()``) the first of them was seen open."""
    deadline, best, best_at, first_at = time.monotonic() + patience, 0, time.monotonic(), 0.0
    while time.monotonic() < deadline:
        now_open = await open_event_streams(api)
        first_at = first_at or (time.monotonic() if now_open else 0.0)
        if now_open >= streams:
            return now_open, first_at
        if now_open > best:
            best, best_at = now_open, time.monotonic()
        elif best and time.monotonic() - best_at > 5:
            return best, first_at
        await asyncio.sleep(0.5)
    return best, first_at or time.monotonic()


async def probe_event_delivery(
    api: str, password: str, *, streams: int, hold: float, pairs: int = 4, interval: float = 0.1, settle: float = 3.0
) -> dict[str, Any]:
    """Action-to-delivery delay while ``streams`` event streams are open: ``pairs`` of users in direct chats; one
    sends a message every ``interval`` s and the other's event stream times its arrival (from just before the send
    request; ``send_ms`` is the send request's own duration, the part of a delay before its response). It measures
    from ``settle`` s after the streams are all open (opening thousands at once is a storm of its own, which
    ``like_ms`` shows) until 5 s before the first of them ends (they end together: a mass disconnect, not what this
    measures)."""
    async with httpx.AsyncClient(timeout=60) as client:
        senders = [await sign_in(client, api, 20 + 2 * n, password) for n in range(pairs)]
        listeners = [await sign_in(client, api, 21 + 2 * n, password) for n in range(pairs)]
        chats = []
        for sender, listener in zip(senders, listeners, strict=True):
            res = await client.post(f"{api}/chats", json={"type": "direct", "usernames": [listener["username"]]},
                                    headers=_auth(sender))  # fmt: skip
            res.raise_for_status()
            chats.append(res.json()["id"])
    streams_open, first_opened_at = await wait_for_streams(api, streams, patience=hold + 120)
    await asyncio.sleep(settle)
    sent: dict[str, float] = {}
    delays: list[float] = []
    send_ms: list[float] = []  # the send request's own duration: the part of a delay spent before the response
    failures = 0
    readies = [asyncio.Event() for _ in listeners]
    tasks = [asyncio.create_task(_listen(api, s, sent, delays, r)) for s, r in zip(listeners, readies, strict=True)]
    try:
        await asyncio.wait_for(asyncio.gather(*(ready.wait() for ready in readies)), 30)
        until = max(time.monotonic() + 1.0, first_opened_at + hold - 5)  # before the first streams end
        async with httpx.AsyncClient(timeout=30) as client:
            while time.monotonic() < until:
                for sender, chat in zip(senders, chats, strict=True):
                    marker = uuid.uuid4().hex
                    sent[marker] = started = time.monotonic()
                    res = await client.post(f"{api}/chats/{chat}/messages", json={"content": f"probe {marker}"},
                                            headers=_auth(sender))  # fmt: skip
                    send_ms.append((time.monotonic() - started) * 1000)
                    failures += res.status_code != 201
                await asyncio.sleep(interval)
        await asyncio.sleep(2)  # let the last ones arrive
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
    return {"delivery_ms": percentiles(delays), "send_ms": percentiles(send_ms), "undelivered_after_2s": len(sent),
            "send_failures": failures,
            "streams_open_when_measuring": streams_open}  # fmt: skip


# Fan-out to a large audience ---------------------------------------------------------------------------------------

# The positions (1-based) of those of KEYS (timelines) that lack ARGV[1] (a post member).
_MISSING = """
local missing = {}
for i, key in ipairs(KEYS) do
  if not redis.call('ZSCORE', key, ARGV[1]) then missing[#missing + 1] = i end
end
return missing
"""
CHECK_SLICE = 250  # timelines per check: Valkey serves nobody else while a script runs, keep it under ~1 ms


async def _still_missing(missing_script: Any, keys: list[str], member: str) -> list[str]:
    """Those of ``keys`` whose timeline may not hold ``member`` yet: checked a slice per round trip, in order, up to
    the first slice that still misses it. The rest is not checked in this round (the poll only needs to know that the
    fan-out is not complete) and is returned as it was, so the list is empty only when every timeline holds the post.

    A round checks the slices the fan-out has completed since the last one, and one more; whatever the fan-out's
    order, the rounds together check each timeline about once, plus one slice a round. Checking every timeline in
    every round made these checks a third of Valkey's work in ``fanout`` (54,700 ZSCOREs a second while the fan-out
    wrote 24,000 timelines a second; benchmarks/RESULTS.md)."""
    for start in range(0, len(keys), CHECK_SLICE):
        chunk = keys[start : start + CHECK_SLICE]
        missing = [chunk[i - 1] for i in await missing_script(keys=chunk, args=[member])]
        if missing:
            return missing + keys[start + CHECK_SLICE :]
    return []


async def _followers(database_url: str, author: str) -> list[uuid.UUID]:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT f.follower FROM follows f JOIN users u ON u.id = f.followee WHERE u.username = $1", author
        )
    finally:
        await conn.close()
    return [row["follower"] for row in rows]


async def _build_timelines(valkey: Any, keys: list[str], ttl: int = 3600) -> None:
    """Fan-out writes only into timelines that exist (salon.feed.timeline): mark every follower's timeline as built
    (its sentinel), as if each had read their feed recently, so the post must reach all of them."""
    from salon.feed.timeline import SENTINEL

    for start in range(0, len(keys), 1000):
        async with valkey.pipeline(transaction=False) as pipe:
            for key in keys[start : start + 1000]:
                pipe.zadd(key, {SENTINEL: float("-inf")}, nx=True)
                pipe.expire(key, ttl)
            await pipe.execute()


async def probe_fanout(
    api: str,
    password: str,
    *,
    delay: float,
    seconds: float,
    database_url: str,
    valkey_url: str,
    author_index: int = 0,
    deadline_s: float = 10.0,
    poll_s: float = 0.05,
) -> dict[str, Any]:
    """Posts by the seeded user with the most followers (``user00000``), one at a time while k6 makes the write load:
    the HTTP time of each create, and the time from sending it until the last follower's ``timeline:{id}`` holds the
    post (polled every ``poll_s``: small server-side scripts over the timelines still missing it)."""
    from valkey.asyncio import Valkey

    from salon.feed.timeline import timeline_key

    author = f"user{author_index:05d}"
    followers = await _followers(database_url, author)
    keys = [timeline_key(follower) for follower in followers]
    valkey = Valkey.from_url(valkey_url, decode_responses=True)
    result: dict[str, Any] = {"author": author, "followers": len(followers)}
    http_ms: list[float] = []
    last_follower_ms: list[float] = []
    late = 0
    try:
        await _build_timelines(valkey, keys)
        missing = valkey.register_script(_MISSING)
        async with httpx.AsyncClient(timeout=30) as client:
            session = await sign_in(client, api, author_index, password)
            await asyncio.sleep(delay)
            until = time.monotonic() + max(1.0, seconds - delay)
            while time.monotonic() < until:
                sent = time.monotonic()
                content = f"fan-out probe {uuid.uuid4().hex} #benchmarks"  # unique: repeats are held as spam
                res = await client.post(f"{api}/posts", json={"content": content}, headers=_auth(session))
                http_ms.append((time.monotonic() - sent) * 1000)
                res.raise_for_status()
                member = uuid.UUID(res.json()["id"]).hex
                waiting_for = keys  # only the timelines still missing the post are checked again
                while waiting_for := await _still_missing(missing, waiting_for, member):
                    if time.monotonic() - sent > deadline_s:
                        late += 1
                        break
                    await asyncio.sleep(poll_s)
                else:
                    last_follower_ms.append((time.monotonic() - sent) * 1000)
    finally:
        await valkey.aclose()
    return result | {
        "http_ms": percentiles(http_ms),
        "last_follower_ms": percentiles(last_follower_ms),
        f"not_complete_after_{deadline_s:.0f}s": late,
    }
