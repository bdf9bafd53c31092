"""Serving locally stored media files: signed URLs, caching headers, conditional requests and byte ranges.

Litestar's ``File`` response has no Range support, so this answers ``Range: bytes=...`` itself (RFC 9110): one
satisfiable range gives 206 with ``Content-Range``; an unsatisfiable one gives 416 with ``Content-Range: bytes */size``;
several ranges, or an ``If-Range`` that no longer matches, give the whole file (200), which the RFC allows.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

from litestar import Response
from litestar.status_codes import HTTP_200_OK, HTTP_206_PARTIAL_CONTENT, HTTP_304_NOT_MODIFIED

from salon.lib.errors import AppError, Forbidden, NotFound
from salon.media import storage

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
SERVED_VARIANTS = {storage.WEB, storage.THUMBNAIL}


class RangeNotSatisfiable(AppError):
    status_code = 416
    title = "Range not satisfiable"


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive ``(first, last)`` byte positions asked for, or None for the whole file."""
    if not header:
        return None
    match = RANGE.match(header.strip())
    if match is None:  # several ranges, or another unit: serve everything
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            raise _unsatisfiable(size)
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise _unsatisfiable(size)
    return start, end


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(
        f"The requested range is outside this file of {size} bytes.", headers={"Content-Range": f"bytes */{size}"}
    )


def _read(path: Path, start: int, length: int) -> bytes:
    with path.open("rb") as file:
        file.seek(start)
        return file.read(length)


async def serve(
    backend: storage.LocalStorage,
    media_id: str,
    variant: str,
    *,
    expires: int,
    signature: str,
    range_header: str | None,
    if_range: str | None,
    if_none_match: str | None,
) -> Response[bytes]:
    key = storage.key(media_id, variant)
    if variant not in SERVED_VARIANTS:
        raise NotFound("There is no such media file.")
    if not backend.verify(key, expires, signature):
        raise Forbidden(
            "This media URL is invalid or has expired. Fetch the media again (GET /api/v1/media/{id}) for a fresh URL."
        )
    path = backend.path(key)
    try:
        size = (await asyncio.to_thread(path.stat)).st_size
    except FileNotFoundError:
        raise NotFound("This media file no longer exists.") from None
    etag = f'"{media_id}-{variant.split(".")[0]}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": f"private, max-age={max(0, expires - int(time.time()))}, immutable",
        "X-Content-Type-Options": "nosniff",
    }
    if if_none_match and etag in {tag.strip() for tag in if_none_match.split(",")}:
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    wanted = byte_range(range_header, size) if not if_range or if_range.strip() == etag else None
    if wanted is None:
        data = await asyncio.to_thread(path.read_bytes)
        return Response(data, status_code=HTTP_200_OK, media_type=storage.WEB_CONTENT_TYPE, headers=headers)
    first, last = wanted
    data = await asyncio.to_thread(_read, path, first, last - first + 1)
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return Response(data, status_code=HTTP_206_PARTIAL_CONTENT, media_type=storage.WEB_CONTENT_TYPE, headers=headers)
