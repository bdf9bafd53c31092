"""Chat over real event streams (Granian processes): messages and read markers reach the other member live."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.chat.conftest import CHATS
from tests.helpers import create_user
from tests.realtime.sse import open_stream


async def test_message_reaches_the_open_stream_and_read_comes_back(
    client: httpx.AsyncClient, live_server_factory: Callable[..., Any]
) -> None:
    server = live_server_factory()
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
        open_stream(server.url, alice.headers) as alice_stream,
        open_stream(server.url, bob.headers) as bob_stream,
    ):
        started = await http.post(CHATS, headers=alice.headers, json={"type": "direct", "usernames": ["bob"]})
        chat = started.json()
        assert (await bob_stream.next(timeout=1.0)).data["chat_id"] == chat["id"]  # chat_member_added
        sent = await http.post(
            f"{CHATS}/{chat['id']}/messages",
            headers={**alice.headers, "Idempotency-Key": "k1"},
            json={"content": "hi"},
        )
        assert sent.status_code == 201, sent.text

        delivered = await bob_stream.next(timeout=1.0)

        assert delivered.name == "message"
        assert delivered.data["message"]["id"] == sent.json()["id"]
        assert delivered.data["message"]["content"] == "hi"
        bob_chat = (await http.get(f"{CHATS}/{chat['id']}", headers=bob.headers)).json()
        assert bob_chat["unread_count"] == 1
        assert (await http.get(f"{CHATS}/unread", headers=bob.headers)).json()["unread_count"] == 1

        read = await http.post(f"{CHATS}/{chat['id']}/read", headers=bob.headers, json={"up_to_id": sent.json()["id"]})
        assert read.json()["unread_count"] == 0

        names = []
        while "read" not in names:
            event = await alice_stream.next(timeout=1.0)
            names.append(event.name)
        assert event.data["user_id"] == bob.id
        assert event.data["up_to_id"] == sent.json()["id"]
        # the new chat, her own message (for her other devices), then bob's read marker
        assert names == ["chat_member_added", "message", "read"]
