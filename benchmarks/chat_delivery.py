"""Chat benchmark (not a test): message send -> delivery latency on open event streams, p50/p99.

    python benchmarks/chat_delivery.py --url http://127.0.0.1:8000 --streams 1000 --users 100 --messages 300

Against a running salon (``salon dev`` or ``salon serve`` + ``salon worker``). It signs up ``--users`` people (or
signs them in when they exist from an earlier run: the server needs ``SALON_REGISTER_MAX_PER_IP_PER_HOUR`` above
``--users``), pairs user i with user i+1 in direct chats, opens ``--streams`` SSE streams spread evenly over the users
(one person with several devices has several streams), then sends ``--messages`` messages round the ring at
``--rate`` per second. For every message it records when each of the receiver's streams got the ``message`` event:

- ``after response``: event arrival minus the moment the send's 201 came back (what a user waits for after their
  friend's app said "sent");
- ``after request``: event arrival minus the moment the send request left (the full path).

The client shares the machine with the server (and on a 2-core box, with Postgres and Valkey): read the figures as
an upper bound, and compare runs made on the same machine.
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

PASSWORD = "chat benchmark passphrase"
CHATS = "/api/v1/chats"


@dataclass
class Person:
    username: str
    headers: dict[str, str]
    chat_id: str = ""  # the direct chat with the next person in the ring


@dataclass
class Arrivals:
    """Per message id: when its send left and came back, and when each receiving stream got it."""

    sent_at: dict[str, float] = field(default_factory=dict)
    answered_at: dict[str, float] = field(default_factory=dict)
    received: dict[str, list[float]] = field(default_factory=dict)


async def sign_in(http: httpx.AsyncClient, username: str) -> Person:
    return Person(username, await bearer_headers(http, username, PASSWORD))


async def listen(url: str, person: Person, arrivals: Arrivals, ready: asyncio.Event, opened: list[int]) -> None:
    async with (
        httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30, read=None)) as http,
        aconnect_sse(http, "GET", "/api/v1/events", headers=person.headers) as source,
    ):
        source.response.raise_for_status()
        opened[0] += 1
        await ready.wait()
        async for frame in source.aiter_sse():
            if frame.event == "message" and frame.data:  # (the opening comment also parses as a "message" frame)
                message = json.loads(frame.data)["message"]
                if message["sender"] and message["sender"]["username"] != person.username:
                    arrivals.received.setdefault(message["id"], []).append(time.perf_counter())


async def send_round(
    http: httpx.AsyncClient, people: list[Person], count: int, rate: float, arrivals: Arrivals
) -> None:
    async def send_one(index: int) -> None:
        sender = people[index % len(people)]
        started = time.perf_counter()
        response = await http.post(
            f"{CHATS}/{sender.chat_id}/messages",
            headers={**sender.headers, "Idempotency-Key": uuid.uuid4().hex},
            json={"content": f"benchmark message {index} {uuid.uuid4().hex}"},
        )
        if response.status_code != 201:
            print(f"send failed: {response.status_code} {response.text}", file=sys.stderr)
            return
        message_id = response.json()["id"]
        arrivals.sent_at[message_id] = started
        arrivals.answered_at[message_id] = time.perf_counter()

    tasks = []
    for index in range(count):
        tasks.append(asyncio.create_task(send_one(index)))
        await asyncio.sleep(1 / rate)
    await asyncio.gather(*tasks)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(arrivals: Arrivals, streams_per_person: int) -> None:
    after_response, after_request, missing = [], [], 0
    for message_id, answered in arrivals.answered_at.items():
        received = arrivals.received.get(message_id, [])
        missing += streams_per_person - len(received)
        after_response += [max(0.0, at - answered) * 1000 for at in received]
        after_request += [(at - arrivals.sent_at[message_id]) * 1000 for at in received]
    if not after_request:
        sys.exit("no message was delivered")
    print(f"messages sent: {len(arrivals.answered_at)}, deliveries: {len(after_request)}, missing: {missing}")
    for label, values in (("after response", after_response), ("after request", after_request)):
        print(
            f"delivery {label:15s} p50 {percentile(values, 0.5):7.1f} ms   p99 {percentile(values, 0.99):7.1f} ms"
            f"   max {max(values):7.1f} ms   mean {statistics.fmean(values):7.1f} ms"
        )


async def main(args: argparse.Namespace) -> None:
    limits = httpx.Limits(max_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=args.url, timeout=30, limits=limits) as http:
        run = args.prefix
        people = [await sign_in(http, f"{run}{index:04d}") for index in range(args.users)]
        for index, person in enumerate(people):
            other = people[(index + 1) % len(people)]
            response = await http.post(
                CHATS, headers=person.headers, json={"type": "direct", "usernames": [other.username]}
            )
            person.chat_id = response.json()["id"]
        streams_per_person = max(1, args.streams // args.users)
        arrivals, ready, opened = Arrivals(), asyncio.Event(), [0]
        listeners = [
            asyncio.create_task(listen(args.url, person, arrivals, ready, opened))
            for person in people
            for _ in range(streams_per_person)
        ]
        while opened[0] < len(listeners):
            await asyncio.sleep(0.2)
            failed = [task for task in listeners if task.done()]
            if failed:
                failed[0].result()
        print(f"{len(listeners)} streams open ({streams_per_person} per user, {len(people)} users)")
        ready.set()
        await send_round(http, people, args.messages, args.rate, arrivals)
        await asyncio.sleep(args.drain)
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
    report(arrivals, streams_per_person)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--streams", type=int, default=1000, help="open event streams in total")
    parser.add_argument("--users", type=int, default=100, help="people; streams are spread evenly over them")
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second")
    parser.add_argument("--concurrency", type=int, default=32, help="HTTP connections for sends")
    parser.add_argument("--drain", type=float, default=3.0, help="seconds to wait for the last deliveries")
    parser.add_argument("--prefix", default="chatbench", help="username prefix (reuse it to reuse the users)")
    asyncio.run(main(parser.parse_args()))
