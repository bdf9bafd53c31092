"""Media tests: real uploads over HTTP, processed by a real SAQ worker, stored on disk or in a local S3 server."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image

from salon.media.jobs import process_media
from tests.helpers import TestUser


def png_bytes(size: tuple[int, int] = (40, 30), colour: tuple[int, ...] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg_with_location(size: tuple[int, int] = (40, 20), orientation: int = 1) -> bytes:
    """A JPEG whose EXIF says where it was taken (GPS) and how to turn it upright."""
    image = Image.new("RGB", size, (10, 120, 200))
    exif = image.getexif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "SalonCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def has_location(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


async def upload(
    client: httpx.AsyncClient, user: TestUser, data: bytes, filename: str = "photo.png",
    content_type: str = "image/png", alt: str | None = None,
) -> httpx.Response:  # fmt: skip
    form = {"alt": alt} if alt is not None else None
    return await client.post(
        "/api/v1/media", files={"file": (filename, data, content_type)}, data=form, headers=user.headers
    )


@pytest.fixture
def ready_media(client: httpx.AsyncClient):
    """Upload an image and run its processing job; returns the media as its owner sees it. (One test runs the real
    worker; here the job function is called directly, as the worker would.)"""

    async def make(user: TestUser, data: bytes | None = None, **kwargs: Any) -> dict[str, Any]:
        response = await upload(client, user, data or png_bytes(), **kwargs)
        assert response.status_code == 201, response.text
        await process_media({}, media_id=response.json()["id"])
        fetched = await client.get(f"/api/v1/media/{response.json()['id']}", headers=user.headers)
        assert fetched.status_code == 200, fetched.text
        assert fetched.json()["status"] == "ready", fetched.json()
        return fetched.json()  # type: ignore[no-any-return]

    return make
