# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""Media rules: upload, processing, who may see what, attaching to posts and profiles, and collecting unused uploads.

For other packages (posts, profiles, chat):

- ``usable_media(owner_id, ids, field)``: before writing, check the ids name the caller's own processed uploads (422
  naming the field otherwise). Returns the parsed ids, in order.
- ``attach(ids, subject_type, subject_id, owner_id)``: inside the writer's unit of work, record that the media is
  shown on the subject. From then on the media is visible to exactly who may see one of its subjects.
- ``may_see(viewer_id, media_id)``: the visibility rule (the uploader always; others through a subject).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from salon.lib import events, jobs
from salon.lib.auth import Viewer
from salon.lib.db import unit_of_work
from salon.lib.errors import Forbidden, NotFound, ValidationFailed, clipped
from salon.lib.ids import new_id, parse_id
from salon.media import images, storage
from salon.media.events import MediaProcessed
from salon.media.schemas import ALT_MAX_LENGTH, MediaUpload, MediaView
from salon.media.tables import Media
from salon.moderation.holds import not_held_sql
from salon.settings import Settings, get_settings
from salon.social.visibility import ME, VIEWER_CTE, blocked_sql, visible_post_sql

log = logging.getLogger("salon.media")

SUBJECT_TYPES = ("post", "avatar", "cover", "message", "chat_image")
MEDIA_COLUMNS = (
    "id, owner, status, content_type, byte_size, width, height, alt, failure_reason, created_at, attached_at"
)
GC_BATCH = 500


async def _sql(query: str, *args: Any) -> list[dict[str, Any]]:
    return await Media.raw(query, *args)  # type: ignore[no-any-return]


def _not_found(media_id: str) -> NotFound:
    return NotFound(f"There is no media {clipped(media_id)!r} that you can see.")


# Views -------------------------------------------------------------------------------------------------------------


def view(row: dict[str, Any], settings: Settings) -> MediaView:
    ready = row["status"] == "ready"
    expires_at = storage.url_expiry(settings) if ready else None
    backend = storage.get_storage()
    return MediaView(
        id=str(row["id"]),
        owner_id=str(row["owner"]),
        status=row["status"],
        content_type=row["content_type"],
        byte_size=row["byte_size"],
        width=row["width"],
        height=row["height"],
        alt=row["alt"],
        url=backend.url(storage.key(row["id"], storage.WEB), expires_at) if expires_at else None,
        thumbnail_url=backend.url(storage.key(row["id"], storage.THUMBNAIL), expires_at) if expires_at else None,
        urls_expire_at=datetime.fromtimestamp(expires_at, tz=UTC) if expires_at else None,
        failure_reason=row["failure_reason"],
        created_at=row["created_at"],
    )


async def _row(media_id: uuid.UUID) -> dict[str, Any] | None:
    rows = await _sql(f"SELECT {MEDIA_COLUMNS} FROM media WHERE id = {{}}", media_id)
    return rows[0] if rows else None


# Upload and processing ---------------------------------------------------------------------------------------------


async def upload(viewer: Viewer, form: MediaUpload, settings: Settings) -> MediaView:
    """Store an upload and queue its processing. The type comes from the bytes; limits from settings."""
    alt = form.alt.strip()
    if len(alt) > ALT_MAX_LENGTH:
        raise ValidationFailed(f"alt can be at most {ALT_MAX_LENGTH} characters.", extra={"field": "alt"})
    data = await form.file.read(settings.media_max_upload_bytes + 1)
    if len(data) > settings.media_max_upload_bytes:
        raise upload_too_large(settings)
    if not data:
        raise ValidationFailed("The file is empty: send an image in the 'file' field.", extra={"field": "file"})
    sniffed = images.sniff(data, max_pixels=settings.media_max_pixels)
    media_id = new_id()
    original = storage.key(media_id, storage.ORIGINAL)
    await storage.get_storage().put(original, data, sniffed.content_type)
    try:
        async with unit_of_work():
            rows = await _sql(
                f"""
                INSERT INTO media (id, owner, status, content_type, byte_size, width, height, alt, created_at)
                VALUES ({{}}, {{}}, 'processing', {{}}, {{}}, {{}}, {{}}, {{}}, now()) RETURNING {MEDIA_COLUMNS}
                """,
                media_id, viewer.uuid, sniffed.content_type, len(data), sniffed.width, sniffed.height, alt,
            )  # fmt: skip
            await jobs.enqueue("process_media", key=f"process_media:{media_id}", media_id=str(media_id))
    except BaseException:
        await storage.get_storage().delete([original])
        raise
    return view(rows[0], settings)


def upload_too_large(settings: Settings) -> images.PayloadTooLarge:
    limit = settings.media_max_upload_bytes
    return images.PayloadTooLarge(
        f"This file is larger than the {limit / (1024 * 1024):.1f} MiB salon accepts. Upload a smaller image.",
        extra={"max_bytes": limit},
    )


async def process(media_id: str, settings: Settings) -> None:
    """Make the web copy and thumbnail of an upload, then drop the upload (it may carry EXIF location data).

    Idempotent: media that is no longer ``processing`` is left alone. A storage failure raises (the job retries); an
    image that cannot be decoded marks the media ``failed``."""
    parsed = parse_id(media_id)
    row = await _row(parsed) if parsed else None
    if row is None or row["status"] != "processing":
        return
    backend = storage.get_storage()
    original = storage.key(row["id"], storage.ORIGINAL)
    data = await backend.get(original)
    try:
        variants = await asyncio.to_thread(
            images.make_variants,
            data,
            web_max=settings.media_web_max_dimension,
            thumbnail_max=settings.media_thumbnail_max_dimension,
        )
    except images.ImageDamaged as exc:
        await _finish(row["id"], failure_reason=f"The image could not be decoded ({exc}). Upload it again.")
    else:
        await backend.put(storage.key(row["id"], storage.WEB), variants.web, storage.WEB_CONTENT_TYPE)
        await backend.put(storage.key(row["id"], storage.THUMBNAIL), variants.thumbnail, storage.WEB_CONTENT_TYPE)
        await _finish(row["id"], width=variants.width, height=variants.height)
    await backend.delete([original])


async def _finish(
    media_id: uuid.UUID, *, width: int | None = None, height: int | None = None, failure_reason: str | None = None
) -> None:
    status = "failed" if failure_reason else "ready"
    async with unit_of_work():
        rows = await _sql(
            f"""
            UPDATE media SET status = {{}}, width = COALESCE({{}}, width), height = COALESCE({{}}, height),
                failure_reason = {{}}, processed_at = now()
            WHERE id = {{}} AND status = 'processing' RETURNING {MEDIA_COLUMNS}
            """,
            status, width, height, failure_reason, media_id,
        )  # fmt: skip
        if rows:
            processed = MediaProcessed(media=view(rows[0], get_settings()))
            await events.publish("media.processed", processed, [str(rows[0]["owner"])])


# Reading and alt text ----------------------------------------------------------------------------------------------


async def may_see(viewer_id: uuid.UUID | None, media_id: uuid.UUID) -> bool:
    """The uploader always; anyone else when they may see a live post (not hidden by moderation), or the profile,
    the media is attached to, or when they are a member of the chat who can read the (not deleted, not hidden by
    moderation) message it is attached to (they joined before it was sent), or a member of the group whose current
    image it is."""
    rows = await _sql(
        f"""
        WITH {VIEWER_CTE}
        SELECT EXISTS (SELECT 1 FROM media WHERE id = {{}} AND owner = {ME})
          OR EXISTS (
            SELECT 1 FROM media_attachments a JOIN posts p ON p.id = a.subject_id JOIN users u ON u.id = p.author
            WHERE a.media = {{}} AND a.subject_type = 'post' AND p.deleted_at IS NULL AND u.is_active
              AND {{}} = ANY(p.media_ids) AND {visible_post_sql()}
              AND {not_held_sql("post", "p.id", "p.author", ME)})
          OR EXISTS (
            SELECT 1 FROM media_attachments a JOIN users u ON u.id = a.subject_id
            WHERE a.media = {{}} AND a.subject_type IN ('avatar', 'cover') AND u.is_active
              AND (u.avatar_media_id = a.media OR u.cover_media_id = a.media)
              AND ({ME} IS NULL OR NOT {blocked_sql(ME, "u.id")}))
          OR EXISTS (
            SELECT 1 FROM media_attachments a JOIN chat_messages x ON x.id = a.subject_id
              JOIN chat_members m ON m.chat = x.chat AND m.member = {ME}
            WHERE a.media = {{}} AND a.subject_type = 'message' AND x.deleted_at IS NULL
              AND {{}} = ANY(x.media_ids) AND x.seq > m.joined_seq
              AND {not_held_sql("message", "x.id", "x.sender", ME)})
          OR EXISTS (
            SELECT 1 FROM media_attachments a JOIN chats c ON c.id = a.subject_id
              JOIN chat_members m ON m.chat = c.id AND m.member = {ME}
            WHERE a.media = {{}} AND a.subject_type = 'chat_image' AND c.image_media_id = a.media)
          AS visible
        """,
        viewer_id, media_id, media_id, media_id, media_id, media_id, media_id, media_id,
    )  # fmt: skip
    return bool(rows[0]["visible"])


async def get_media(media_id: str, viewer_id: uuid.UUID | None, settings: Settings) -> MediaView:
    parsed = parse_id(media_id)
    row = await _row(parsed) if parsed else None
    if row is None or not await may_see(viewer_id, row["id"]):
        raise _not_found(media_id)
    return view(row, settings)


async def set_alt(viewer: Viewer, media_id: str, alt: str, settings: Settings) -> MediaView:
    """Change the alt text of your upload."""
    parsed = parse_id(media_id)
    row = await _row(parsed) if parsed else None
    if row is None or row["owner"] != viewer.uuid:
        if row is not None and await may_see(viewer.uuid, row["id"]):
            raise Forbidden("Only the uploader can change an image's alt text.")
        raise _not_found(media_id)
    async with unit_of_work():
        rows = await _sql(
            f"UPDATE media SET alt = {{}} WHERE id = {{}} RETURNING {MEDIA_COLUMNS}", alt.strip(), row["id"]
        )
    return view(rows[0], settings)


# Attaching (for posts, profiles, chat) -----------------------------------------------------------------------------


async def usable_media(owner_id: uuid.UUID, media_ids: list[str], field: str = "media_ids") -> list[uuid.UUID]:
    """``media_ids`` parsed, after checking each names an upload of ``owner_id`` that is processed; 422 otherwise."""
    if not media_ids:
        return []
    parsed = [parse_id(media_id) for media_id in media_ids]
    if len(set(media_ids)) != len(media_ids):
        raise ValidationFailed(f"{field} lists the same media twice.", extra={"field": field})
    rows = await _sql(
        "SELECT id, owner, status FROM media WHERE id = ANY({}::uuid[])",
        [media_id for media_id in parsed if media_id is not None],
    )
    found = {row["id"]: row for row in rows}
    for media_id, given in zip(parsed, media_ids, strict=True):
        row = found.get(media_id) if media_id else None
        if row is None or row["owner"] != owner_id:
            raise ValidationFailed(
                f"{field}: {given!r} is not an image you uploaded. Upload it with POST /api/v1/media first.",
                extra={"field": field, "media_id": given},
            )
        if row["status"] != "ready":
            detail = (
                "is still being processed; retry once its status is 'ready' (GET /api/v1/media/{id})"
                if row["status"] == "processing"
                else "failed processing and cannot be used; upload the image again"
            )
            extra = {"field": field, "media_id": given, "status": row["status"]}
            raise ValidationFailed(f"{field}: media {given!r} {detail}.", extra=extra)
    return [media_id for media_id in parsed if media_id is not None]


async def attach(media_ids: list[uuid.UUID], subject_type: str, subject_id: uuid.UUID, owner_id: uuid.UUID) -> None:
    """Record that ``media_ids`` are shown on a subject. Call inside the writer's unit of work, after
    ``usable_media``; the media rows are locked so an upload cannot be collected while it is being attached."""
    if subject_type not in SUBJECT_TYPES:
        raise ValueError(f"unknown media subject type {subject_type!r}")
    if not media_ids:
        return
    async with unit_of_work():
        locked = await _sql(
            "SELECT id FROM media WHERE id = ANY({}::uuid[]) AND owner = {} AND status = 'ready' FOR UPDATE",
            media_ids, owner_id,
        )  # fmt: skip
        if len(locked) != len(set(media_ids)):
            raise ValidationFailed("An image was deleted while being attached: upload it again.")
        await _sql(
            """
            INSERT INTO media_attachments (id, media, subject_type, subject_id, created_at)
            SELECT gen_random_uuid(), m, {}, {}, now() FROM unnest({}::uuid[]) AS m
            ON CONFLICT (media, subject_type, subject_id) DO NOTHING
            """,
            subject_type, subject_id, media_ids,
        )  # fmt: skip
        await _sql("UPDATE media SET attached_at = now() WHERE id = ANY({}::uuid[]) AND attached_at IS NULL", media_ids)


# Garbage collection ------------------------------------------------------------------------------------------------


async def collect_unattached(settings: Settings, *, now: datetime | None = None) -> int:
    """Delete uploads never attached to anything within ``media_unattached_ttl_hours``: rows first (so nothing can
    attach them any more), then their files. Returns how many were deleted."""
    cutoff = (now or datetime.now(tz=UTC)) - timedelta(hours=settings.media_unattached_ttl_hours)
    total = 0
    while True:
        async with unit_of_work():
            rows = await _sql(
                """
                DELETE FROM media WHERE id IN (
                  SELECT id FROM media WHERE attached_at IS NULL AND created_at < {} ORDER BY created_at LIMIT {}
                  FOR UPDATE SKIP LOCKED)
                AND attached_at IS NULL RETURNING id
                """,
                cutoff, GC_BATCH,
            )  # fmt: skip
        if not rows:
            return total
        keys = [storage.key(row["id"], variant) for row in rows for variant in storage.VARIANTS]
        await storage.get_storage().delete(keys)
        total += len(rows)
        if len(rows) < GC_BATCH:
            return total
