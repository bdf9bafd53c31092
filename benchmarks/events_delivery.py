"""Event-stream benchmark (not a test): delay from an action's HTTP response to its event on open streams, p50/p99.

    python benchmarks/events_delivery.py --url http://127.0.0.1:8000 --streams 1000 --users 100 --actions 300

Against a running salon (``salon dev``, or ``salon serve`` + ``salon worker``: notifications are made by the worker).
It signs up ``--users`` people (or signs them in when they exist from an earlier run: the server needs
``SALON_REGISTER_MAX_PER_IP_PER_HOUR`` above ``--users``), each writes one post, then ``--streams`` SSE streams are
opened, spread evenly over the users (one person with several devices has several streams). It then performs
``--actions`` likes at ``--rate`` per second (user i+k likes user i's post) and records when each of the post
author's streams receives the ``notification`` event for that like:

- ``after response``: event arrival minus the moment the like's 200 came back;
- ``after request``: event arrival minus the moment the like request left.

The path measured is the whole one: like committed -> domain event job in the worker -> notification row ->
``publish`` -> Valkey Stream + pub/sub -> the hub of the process holding the stream -> the SSE frame. The client
shares the machine with the server: read the figures as an upper bound and compare runs made on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field

import httpx
from httpx_sse import aconnect_sse

from accounts import bearer_headers  # benchmarks/accounts.py (scripts run from this folder)

PASSWORD = "events benchmark passphrase"


@dataclass
class Person:
    username: str
    headers: dict[str, str]
    post_id: str = ""


@dataclass
class Arrivals:
    """Per (post id, liker): when the like left and came back, and when each of the author's streams got it."""

    sent_at: dict[tuple[str, str], float] = field(default_factory=dict)
    answered_at: dict[tuple[str, str], float] = field(default_factory=dict)
    received: dict[tuple[str, str], list[float]] = field(default_factory=dict)


async def sign_in(http: httpx.AsyncClient, username: str) -> Person:
    return Person(username, await bearer_headers(http, username, PASSWORD))


async def write_post(http: httpx.AsyncClient, person: Person) -> None:
    content = f"benchmark post {uuid.uuid4().hex}"  # unique: repeated texts are held as spam
    response = await http.post("/api/v1/posts", json={"content": content}, headers=person.headers)
    if response.status_code != 201:
        sys.exit(f"cannot post as {person.username}: {response.status_code} {response.text}")
    person.post_id = response.json()["id"]


async def listen(url: str, person: Person, arrivals: Arrivals, opened: asyncio.Event, counter: list[int]) -> None:
    async with (
        httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30, read=None)) as http,
        aconnect_sse(http, "GET", "/api/v1/events", headers=person.headers) as source,
    ):
        source.response.raise_for_status()
        counter[0] += 1
        if counter[0] == counter[1]:
            opened.set()
        async for event in source.aiter_sse():
            if event.event != "notification":
                continue
            now = time.perf_counter()
            group = json.loads(event.data)["notification"]
            if group["type"] == "like" and group["actors"]:
                arrivals.received.setdefault((group["post_id"], group["actors"][0]["username"]), []).append(now)


async def like(http: httpx.AsyncClient, liker: Person, author: Person, arrivals: Arrivals) -> None:
    key = (author.post_id, liker.username)
    arrivals.sent_at[key] = time.perf_counter()
    response = await http.post(f"/api/v1/posts/{author.post_id}/like", headers=liker.headers)
    arrivals.answered_at[key] = time.perf_counter()
    if response.status_code != 200:
        print(f"like failed: {response.status_code} {response.text}", file=sys.stderr)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, delays_ms: list[float]) -> None:
    if not delays_ms:
        print(f"{name:>15}: no deliveries")
        return
    print(
        f"{name:>15}: n={len(delays_ms)} p50={percentile(delays_ms, 0.5):.1f} ms "
        f"p99={percentile(delays_ms, 0.99):.1f} ms max={max(delays_ms):.1f} ms "
        f"mean={statistics.fmean(delays_ms):.1f} ms"
    )


async def main(args: argparse.Namespace) -> None:
    run = uuid.uuid4().hex[:6]  # new people each run: a like that already exists would announce nothing
    limits = httpx.Limits(max_connections=args.streams + 50)
    async with httpx.AsyncClient(base_url=args.url, timeout=30, limits=limits) as http:
        people = [await sign_in(http, f"ev{run}{i}") for i in range(args.users)]
        await asyncio.gather(*(write_post(http, person) for person in people))
        arrivals, opened, counter = Arrivals(), asyncio.Event(), [0, args.streams]
        listeners = [
            asyncio.create_task(listen(args.url, people[i % len(people)], arrivals, opened, counter))
            for i in range(args.streams)
        ]
        await asyncio.wait_for(opened.wait(), 120)
        print(f"{args.streams} streams open over {len(people)} users; {args.actions} likes at {args.rate}/s")
        pending = []
        for k in range(args.actions):
            author = people[k % len(people)]
            liker = people[(k % len(people) + 1 + k // len(people)) % len(people)]
            pending.append(asyncio.create_task(like(http, liker, author, arrivals)))
            await asyncio.sleep(1 / args.rate)
        await asyncio.gather(*pending)
        await asyncio.sleep(args.settle)
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
    streams_per_user = {p.username: 0 for p in people}
    for i in range(args.streams):
        streams_per_user[people[i % len(people)].username] += 1
    expected = sum(streams_per_user[people[k % len(people)].username] for k in range(args.actions))
    after_response = [
        (at - arrivals.answered_at[key]) * 1000
        for key, times in arrivals.received.items()
        if key in arrivals.answered_at
        for at in times
    ]
    after_request = [
        (at - arrivals.sent_at[key]) * 1000 for key, times in arrivals.received.items() if key in arrivals.sent_at
        for at in times
    ]  # fmt: skip
    print(f"deliveries: {len(after_request)} of {expected} expected")
    report("after response", after_response)
    report("after request", after_request)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--actions", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="likes per second")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait for the last events")
    asyncio.run(main(parser.parse_args()))
