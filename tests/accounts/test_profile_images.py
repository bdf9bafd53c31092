"""Avatar and cover images: PATCH /users/me takes your own processed uploads, and they are visible with the profile."""

from __future__ import annotations

from typing import Any

import httpx

from salon.media.jobs import process_media
from tests.helpers import TestUser, create_user
from tests.media.conftest import png_bytes, upload


async def uploaded(client: httpx.AsyncClient, user: TestUser, *, processed: bool = True) -> str:
    response = await upload(client, user, png_bytes())
    assert response.status_code == 201, response.text
    if processed:
        await process_media({}, media_id=response.json()["id"])
    return str(response.json()["id"])


async def patch_me(client: httpx.AsyncClient, user: TestUser, **body: Any) -> httpx.Response:
    return await client.patch("/api/v1/users/me", json=body, headers=user.headers)


async def visible(client: httpx.AsyncClient, media_id: str, user: TestUser | None = None) -> bool:
    response = await client.get(f"/api/v1/media/{media_id}", headers=user.headers if user else None)
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


async def test_avatar_and_cover_are_set_shown_on_the_profile_and_visible_to_others(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    avatar, cover = await uploaded(client, alice), await uploaded(client, alice)
    assert not await visible(client, avatar, bob)

    response = await patch_me(client, alice, avatar_media_id=avatar, cover_media_id=cover, bio="  hi  ")

    assert response.status_code == 200, response.text
    assert (response.json()["avatar_media_id"], response.json()["cover_media_id"]) == (avatar, cover)
    assert response.json()["bio"] == "hi"
    profile = (await client.get("/api/v1/users/alice", headers=bob.headers)).json()
    assert (profile["avatar_media_id"], profile["cover_media_id"]) == (avatar, cover)
    assert await visible(client, avatar, bob)
    assert await visible(client, cover, bob)
    assert await visible(client, avatar)  # signed out: public profile images are public


async def test_null_clears_an_image_and_it_is_no_longer_visible_to_others(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    avatar, cover = await uploaded(client, alice), await uploaded(client, alice)
    await patch_me(client, alice, avatar_media_id=avatar, cover_media_id=cover)

    response = await patch_me(client, alice, avatar_media_id=None)

    assert response.status_code == 200, response.text
    assert (response.json()["avatar_media_id"], response.json()["cover_media_id"]) == (None, cover)
    assert not await visible(client, avatar, bob)
    assert await visible(client, avatar, alice)  # still the uploader's
    assert await visible(client, cover, bob)


async def test_a_blocked_viewer_cannot_see_the_avatar(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    avatar = await uploaded(client, alice)
    await patch_me(client, alice, avatar_media_id=avatar)
    await client.post("/api/v1/users/bob/block", headers=alice.headers)

    assert not await visible(client, avatar, bob)


async def test_only_your_own_processed_upload_can_be_an_avatar_or_cover(client: httpx.AsyncClient) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    bobs, processing = await uploaded(client, bob), await uploaded(client, alice, processed=False)

    others = await patch_me(client, alice, avatar_media_id=bobs)
    unprocessed = await patch_me(client, alice, cover_media_id=processing)
    garbage = await patch_me(client, alice, avatar_media_id="nope", display_name="Alice A")
    empty = await patch_me(client, alice, avatar_media_id="")

    assert (others.status_code, others.json()["field"]) == (422, "avatar_media_id")
    assert (unprocessed.status_code, unprocessed.json()["status"]) == (422, "processing")
    assert unprocessed.json()["field"] == "cover_media_id"
    assert garbage.status_code == 422
    assert empty.status_code in (400, 422)
    me = (await client.get("/api/v1/users/me", headers=alice.headers)).json()
    assert (me["avatar_media_id"], me["cover_media_id"], me["display_name"]) == (None, None, "alice")
    assert not await visible(client, bobs, alice)
