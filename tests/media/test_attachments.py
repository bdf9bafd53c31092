"""Media on posts: who may see it, what may be attached, and collecting uploads nobody attached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from salon.media.services import collect_unattached
from salon.media.tables import Media
from tests.helpers import create_user
from tests.media.conftest import png_bytes, upload


async def _post(client: httpx.AsyncClient, user: Any, **body: Any) -> httpx.Response:
    return await client.post("/api/v1/posts", json={"content": "look", **body}, headers=user.headers)


async def test_a_follower_only_posts_image_is_404_to_a_stranger(client: httpx.AsyncClient, ready_media: Any) -> None:
    alice, follower, stranger = [await create_user(client, name) for name in ("alice", "fan", "stranger")]
    await client.post("/api/v1/users/alice/follow", headers=follower.headers)
    media = await ready_media(alice)

    post = await _post(client, alice, visibility="followers", media_ids=[media["id"]])

    assert post.status_code == 201, post.text
    assert post.json()["media_ids"] == [media["id"]]
    seen = await client.get(f"/api/v1/media/{media['id']}", headers=follower.headers)
    assert seen.status_code == 200
    assert (await client.get(seen.json()["url"])).status_code == 200
    assert (await client.get(f"/api/v1/media/{media['id']}", headers=stranger.headers)).status_code == 404
    assert (await client.get(f"/api/v1/media/{media['id']}")).status_code == 404


async def test_a_public_posts_image_is_visible_until_the_post_is_deleted(
    client: httpx.AsyncClient, ready_media: Any
) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    media = await ready_media(alice)
    post = (await _post(client, alice, media_ids=[media["id"]])).json()

    assert (await client.get(f"/api/v1/media/{media['id']}")).status_code == 200
    await client.post("/api/v1/users/alice/block", headers=bob.headers)
    assert (await client.get(f"/api/v1/media/{media['id']}", headers=bob.headers)).status_code == 404
    await client.delete(f"/api/v1/posts/{post['id']}", headers=alice.headers)
    assert (await client.get(f"/api/v1/media/{media['id']}")).status_code == 404
    assert (await client.get(f"/api/v1/media/{media['id']}", headers=alice.headers)).status_code == 200


async def test_only_your_own_processed_uploads_can_be_attached(client: httpx.AsyncClient, ready_media: Any) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    bobs = await ready_media(bob)
    processing = (await upload(client, alice, png_bytes())).json()
    mine = await ready_media(alice)

    others = await _post(client, alice, media_ids=[bobs["id"]])
    unprocessed = await _post(client, alice, media_ids=[processing["id"]])
    garbage = await _post(client, alice, media_ids=["nope"])
    twice = await _post(client, alice, media_ids=[mine["id"], mine["id"]])
    five = await _post(client, alice, media_ids=[mine["id"]] * 5)

    for response in (others, unprocessed, garbage, twice):
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "media_ids"
    assert "not an image you uploaded" in others.json()["detail"]
    assert unprocessed.json()["status"] == "processing"
    assert "still being processed" in unprocessed.json()["detail"]
    assert five.status_code == 400  # at most 4 per post
    assert (await client.get(f"/api/v1/media/{bobs['id']}", headers=alice.headers)).status_code == 404


async def test_uploads_nobody_attached_are_collected_after_a_day(
    client: httpx.AsyncClient, ready_media: Any, settings: Any
) -> None:
    alice = await create_user(client, "alice")
    unused = await ready_media(alice)
    attached = await ready_media(alice)
    recent = await ready_media(alice)
    await _post(client, alice, media_ids=[attached["id"]])
    two_days_ago = datetime.now(tz=UTC) - timedelta(days=2)
    await Media.update({Media.created_at: two_days_ago}).where(Media.id.is_in([unused["id"], attached["id"]]))

    collected = await collect_unattached(settings)

    assert collected == 1
    assert (await client.get(f"/api/v1/media/{unused['id']}", headers=alice.headers)).status_code == 404
    assert not (Path(settings.data_dir) / "media" / unused["id"]).exists()
    assert (await client.get(unused["url"])).status_code == 404
    for kept in (attached, recent):
        assert (await client.get(f"/api/v1/media/{kept['id']}", headers=alice.headers)).status_code == 200
