"""Where media bytes live: one interface, two backends.

- ``LocalStorage`` (the default): files under ``SALON_DATA_DIR/media``. Salon itself serves them at
  ``GET /api/v1/media/files/{key}`` behind an HMAC signature with an expiry, so local URLs behave like S3 presigned
  URLs: whoever was allowed to see the media gets a URL that works for a while without an Authorization header
  (``<img src>`` cannot send one).
- ``S3Storage``: any S3-compatible object store through boto3 (bucket, endpoint and credentials in settings); URLs are
  presigned GETs. boto3 is synchronous, so every call runs in a worker thread.

Keys are ``{media id}/{variant}``; content under a key never changes, so files can be cached for as long as their URL
is valid.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import os
import time
from pathlib import Path
from typing import Any, Protocol

from salon.settings import Settings, get_settings

ORIGINAL = "original"  # the upload as received; deleted once processed (it may carry EXIF location data)
WEB = "web.webp"
THUMBNAIL = "thumbnail.webp"
VARIANTS = (ORIGINAL, WEB, THUMBNAIL)
WEB_CONTENT_TYPE = "image/webp"
FILES_PATH = "/api/v1/media/files"
S3_DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes


def key(media_id: object, variant: str) -> str:
    return f"{media_id}/{variant}"


class StorageError(Exception):
    """The storage backend failed (unreachable, refused, or an object is missing)."""


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, keys: list[str]) -> None: ...

    def url(self, key: str, expires_at: int) -> str: ...


def url_expiry(settings: Settings, now: float | None = None) -> int:
    """An expiry at least ``media_url_ttl_seconds`` away, rounded up to a whole window: URLs handed out within one
    window are identical, so clients and caches reuse them."""
    ttl = settings.media_url_ttl_seconds
    now = time.time() if now is None else now
    return (int(now) // ttl + 2) * ttl


# Local filesystem ---------------------------------------------------------------------------------------------------


class LocalStorage:
    def __init__(self, root: Path, secret: str) -> None:
        self.root = root
        self._signing_key = hashlib.sha256(f"salon-media-url:{secret}".encode()).digest()

    def path(self, key: str) -> Path:
        """The file of ``key``; a key that would leave the media folder is refused."""
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise StorageError(f"invalid media key {key!r}")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        temporary.replace(path)  # readers never see half a file

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(key).read_bytes)
        except FileNotFoundError as exc:
            raise StorageError(f"media object {key!r} is missing") from exc

    async def delete(self, keys: list[str]) -> None:
        await asyncio.to_thread(self._unlink, [self.path(key) for key in keys])

    @staticmethod
    def _unlink(paths: list[Path]) -> None:
        for path in paths:
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # the media's folder, once empty

    def signature(self, key: str, expires_at: int) -> str:
        digest = hmac.new(self._signing_key, f"{key}\n{expires_at}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def url(self, key: str, expires_at: int) -> str:
        return f"{FILES_PATH}/{key}?expires={expires_at}&signature={self.signature(key, expires_at)}"

    def verify(self, key: str, expires_at: int, signature: str, now: float | None = None) -> bool:
        if expires_at < (time.time() if now is None else now):
            return False
        return hmac.compare_digest(self.signature(key, expires_at), signature)


# S3-compatible object storage ------------------------------------------------------------------------------------


class S3Storage:
    def __init__(self, settings: Settings) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = settings.media_s3_bucket or ""
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=settings.media_s3_endpoint_url,
            region_name=settings.media_s3_region,
            aws_access_key_id=settings.media_s3_access_key_id,
            aws_secret_access_key=settings.media_s3_secret_access_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"mode": "standard"}),
        )

    async def _call(self, method: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return await asyncio.to_thread(getattr(self.client, method), Bucket=self.bucket, **kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"S3 {method} failed: {exc}") from exc

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._call(
            "put_object", Key=key, Body=data, ContentType=content_type, CacheControl="private, max-age=31536000"
        )

    async def get(self, key: str) -> bytes:
        response = await self._call("get_object", Key=key)
        return await asyncio.to_thread(response["Body"].read)  # type: ignore[no-any-return]

    async def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), S3_DELETE_BATCH):
            batch = keys[start : start + S3_DELETE_BATCH]
            await self._call("delete_objects", Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True})

    def url(self, key: str, expires_at: int) -> str:
        expires_in = max(1, expires_at - int(time.time()))
        return self.client.generate_presigned_url(  # type: ignore[no-any-return]
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )


# The process's storage ---------------------------------------------------------------------------------------------

_storage: Storage | None = None


def build_storage(settings: Settings) -> Storage:
    if settings.media_storage == "s3":
        return S3Storage(settings)
    return LocalStorage(Path(settings.data_dir) / "media", settings.secret)


def get_storage() -> Storage:
    """The configured backend, created on first use."""
    global _storage
    if _storage is None:
        _storage = build_storage(get_settings())
    return _storage


def use_storage(storage: Storage | None) -> Storage | None:
    """Replace the process's backend (tests switch to S3 against a local server); returns the previous one."""
    global _storage
    previous, _storage = _storage, storage
    return previous
