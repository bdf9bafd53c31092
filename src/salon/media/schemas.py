"""The media API contract."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar.datastructures import UploadFile
from msgspec import Meta

from salon.lib.schemas import RequestBody

ALT_MAX_LENGTH = 1500
AltText = Annotated[str, Meta(max_length=ALT_MAX_LENGTH, description="a description of the image for screen readers")]
MediaStatus = Literal["processing", "ready", "failed"]


@dataclass
class MediaUpload:
    """The multipart form of ``POST /api/v1/media``: the image in ``file``, an optional ``alt`` text."""

    file: UploadFile
    alt: str = ""


class MediaPatch(RequestBody):
    alt: AltText


class MediaView(msgspec.Struct, frozen=True, kw_only=True):
    """An image. ``content_type`` is what the upload was (read from its bytes). ``url`` (the web copy, WebP, longest
    side at most SALON_MEDIA_WEB_MAX_DIMENSION) and ``thumbnail_url`` are signed and valid until ``urls_expire_at``;
    both are null until ``status`` is ``ready``. ``width``/``height`` are those of the web copy once ready."""

    id: str
    owner_id: str
    status: MediaStatus
    content_type: str
    byte_size: int
    width: int
    height: int
    alt: str
    url: str | None
    thumbnail_url: str | None
    urls_expire_at: datetime | None
    failure_reason: str | None
    created_at: datetime
