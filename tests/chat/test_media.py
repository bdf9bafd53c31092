"""Images in chat messages: only your own processed uploads, visible to the members who can read the message."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from salon.media.jobs import process_media
from tests.chat.conftest import CHATS, group_chat
from tests.helpers import TestUser, create_user
from tests.media.conftest import png_bytes, upload


async def image(client: httpx.AsyncClient, user: TestUser) -> str:
    response = await upload(client, user, png_bytes())
    assert response.status_code == 201, response.text
    await process_media({}, media_id=response.json()["id"])
    return str(response.json()["id"])


async def send_with_media(
    client: httpx.AsyncClient, user: TestUser, chat_id: str, media_ids: list[str], key: str | None = None
) -> httpx.Response:
    headers = {**user.headers, "Idempotency-Key": key or uuid.uuid4().hex}
    body: dict[str, Any] = {"content": "look", "media_ids": media_ids}
    return await client.post(f"{CHATS}/{chat_id}/messages", json=body, headers=headers)


async def visible(client: httpx.AsyncClient, media_id: str, user: TestUser) -> bool:
    response = await client.get(f"/api/v1/media/{media_id}", headers=user.headers)
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


async def test_a_member_sees_the_image_and_a_non_member_gets_404(client: httpx.AsyncClient) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    chat = await group_chat(client, alice, bob)
    media_id = await image(client, alice)
    assert not await visible(client, media_id, bob)

    response = await send_with_media(client, alice, chat["id"], [media_id])

    assert response.status_code == 201, response.text
    assert response.json()["media_ids"] == [media_id]
    assert await visible(client, media_id, bob)
    assert not await visible(client, media_id, carol)
    history = (await client.get(f"{CHATS}/{chat['id']}/messages", headers=bob.headers)).json()["items"]
    assert history[0]["media_ids"] == [media_id]


async def test_members_who_joined_later_or_left_and_deleted_messages_do_not_show_the_image(
    client: httpx.AsyncClient,
) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    chat = await group_chat(client, alice, bob)
    media_id = await image(client, alice)
    message = (await send_with_media(client, alice, chat["id"], [media_id])).json()

    added = await client.post(f"{CHATS}/{chat['id']}/members", json={"usernames": ["carol"]}, headers=alice.headers)
    assert added.status_code in (200, 201), added.text
    assert not await visible(client, media_id, carol)  # sent before carol joined
    assert (await client.delete(f"{CHATS}/{chat['id']}/members/bob", headers=bob.headers)).status_code == 204
    assert not await visible(client, media_id, bob)

    other = await image(client, alice)
    second = (await send_with_media(client, alice, chat["id"], [other])).json()
    assert await visible(client, other, carol)
    deleted = await client.delete(f"{CHATS}/{chat['id']}/messages/{second['id']}", headers=alice.headers)
    assert deleted.status_code == 204
    assert not await visible(client, other, carol)
    assert await visible(client, other, alice)  # still the uploader's
    assert message["media_ids"] == [media_id]


async def test_only_your_own_processed_uploads_can_be_sent(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await group_chat(client, alice, bob)
    bobs = await image(client, bob)
    processing = (await upload(client, alice, png_bytes())).json()["id"]

    others = await send_with_media(client, alice, chat["id"], [bobs])
    unprocessed = await send_with_media(client, alice, chat["id"], [processing])
    garbage = await send_with_media(client, alice, chat["id"], ["nope"])
    too_many = await send_with_media(client, alice, chat["id"], [bobs] * 5)

    assert (others.status_code, others.json()["field"]) == (422, "media_ids")
    assert (unprocessed.status_code, unprocessed.json()["status"]) == (422, "processing")
    assert garbage.status_code == 422
    assert too_many.status_code in (400, 422)
    assert not await visible(client, bobs, alice)
    history = (await client.get(f"{CHATS}/{chat['id']}/messages", headers=alice.headers)).json()["items"]
    assert all(message["kind"] == "system" for message in history)


async def test_a_retry_with_other_media_under_the_same_key_is_refused(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    chat = await group_chat(client, alice, bob)
    first, second = await image(client, alice), await image(client, alice)

    sent = await send_with_media(client, alice, chat["id"], [first], key="same-key")
    replayed = await send_with_media(client, alice, chat["id"], [first], key="same-key")
    other = await send_with_media(client, alice, chat["id"], [second], key="same-key")

    assert (sent.status_code, replayed.status_code) == (201, 201)
    assert replayed.json()["id"] == sent.json()["id"]
    assert other.status_code == 422
    assert not await visible(client, second, bob)


async def test_a_group_image_is_set_changed_and_cleared_and_only_members_see_it(client: httpx.AsyncClient) -> None:
    alice, bob, carol = [await create_user(client, name) for name in ("alice", "bob", "carol")]
    first = await image(client, alice)
    created = await client.post(
        CHATS,
        headers=alice.headers,
        json={"type": "group", "name": "Book club", "usernames": ["bob"], "image_media_id": first},
    )
    assert created.status_code == 201, created.text
    chat = created.json()
    assert chat["image_media_id"] == first
    assert await visible(client, first, bob)
    assert not await visible(client, first, carol)

    second = await image(client, alice)
    by_member = await client.patch(f"{CHATS}/{chat['id']}", headers=bob.headers, json={"image_media_id": None})
    assert by_member.status_code == 403
    changed = await client.patch(f"{CHATS}/{chat['id']}", headers=alice.headers, json={"image_media_id": second})
    assert changed.status_code == 200, changed.text
    assert changed.json()["image_media_id"] == second
    assert changed.json()["name"] == "Book club"
    assert await visible(client, second, bob)
    assert not await visible(client, first, bob), "a replaced group image is no longer shown to members"

    cleared = await client.patch(f"{CHATS}/{chat['id']}", headers=alice.headers, json={"image_media_id": None})
    assert cleared.json()["image_media_id"] is None
    assert not await visible(client, second, bob)


async def test_a_group_image_must_be_your_own_processed_upload(client: httpx.AsyncClient) -> None:
    alice, bob = [await create_user(client, name) for name in ("alice", "bob")]
    bobs = await image(client, bob)
    chat = await group_chat(client, alice, bob)
    response = await client.patch(f"{CHATS}/{chat['id']}", headers=alice.headers, json={"image_media_id": bobs})
    assert response.status_code == 422
    assert response.json()["field"] == "image_media_id"
