"""The S3 backend against a real S3-compatible server on loopback (moto's server mode), not a mock object."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import msgspec
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from salon.media import storage
from salon.media.jobs import process_media
from tests.conftest import free_port
from tests.helpers import create_user
from tests.media.conftest import has_location, jpeg_with_location, upload

BUCKET = "salon-media-test"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_server: str, settings: Any) -> Iterator[storage.S3Storage]:
    s3_settings = msgspec.structs.replace(
        settings, media_storage="s3", media_s3_bucket=BUCKET, media_s3_endpoint_url=s3_server,
        media_s3_access_key_id="test", media_s3_secret_access_key="test",
    )  # fmt: skip
    backend = storage.build_storage(s3_settings)
    assert isinstance(backend, storage.S3Storage)
    admin = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                         aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    admin.create_bucket(Bucket=BUCKET)
    previous = storage.use_storage(backend)
    yield backend
    storage.use_storage(previous)
    for listed in admin.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        admin.delete_object(Bucket=BUCKET, Key=listed["Key"])
    admin.delete_bucket(Bucket=BUCKET)


async def test_objects_round_trip_and_signed_urls_work(s3_storage: storage.S3Storage, settings: Any) -> None:
    await s3_storage.put("a/b.webp", b"hello bytes", "image/webp")

    assert await s3_storage.get("a/b.webp") == b"hello bytes"
    url = s3_storage.url("a/b.webp", storage.url_expiry(settings))
    async with httpx.AsyncClient() as http:
        fetched = await http.get(url)
    assert (fetched.status_code, fetched.content) == (200, b"hello bytes")
    assert fetched.headers["content-type"] == "image/webp"
    assert "X-Amz-Signature=" in url
    assert "X-Amz-Expires=" in url

    await s3_storage.delete(["a/b.webp"])
    with pytest.raises(storage.StorageError):
        await s3_storage.get("a/b.webp")


async def test_an_upload_is_processed_and_served_from_s3(
    client: httpx.AsyncClient, s3_storage: storage.S3Storage
) -> None:
    alice = await create_user(client, "alice")
    created = (await upload(client, alice, jpeg_with_location(), filename="x.jpg", content_type="image/jpeg")).json()
    await process_media({}, media_id=created["id"])
    media = (await client.get(f"/api/v1/media/{created['id']}", headers=alice.headers)).json()

    assert media["status"] == "ready"
    assert media["url"].startswith(s3_storage.client.meta.endpoint_url)
    async with httpx.AsyncClient() as http:
        served = (await http.get(media["url"])).content
    with Image.open(io.BytesIO(served)) as image:
        assert image.format == "WEBP"
    assert not has_location(served)
    with pytest.raises(storage.StorageError):
        await s3_storage.get(storage.key(media["id"], storage.ORIGINAL))  # the upload itself is gone
