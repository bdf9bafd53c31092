"""Image handling with Pillow: what an upload really is (from its bytes), and the copies salon serves.

Every served copy is re-encoded from decoded pixels with its metadata dropped (EXIF with GPS location, XMP, comments),
keeping only the colour profile; the upload itself is never served. Animated GIF/WebP stay animated.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from salon.lib.errors import AppError, ValidationFailed

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_FRAMES = 500  # frames kept of an animation; later ones are dropped
WEBP_QUALITY = 85


class UnsupportedMediaType(AppError):
    status_code = 415
    title = "Unsupported media type"


class PayloadTooLarge(AppError):
    status_code = 413
    title = "Payload too large"


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class Variants:
    web: bytes
    thumbnail: bytes
    width: int  # of the web copy
    height: int


def sniff(data: bytes, *, max_pixels: int) -> Sniffed:
    """Identify an upload from its bytes (the name and Content-Type are ignored). Reads only the header."""
    accepted = ", ".join(sorted(ACCEPTED_FORMATS))
    try:
        with Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS)) as image:
            content_type = ACCEPTED_FORMATS[image.format or ""]
            width, height = image.size
    except UnidentifiedImageError:
        raise UnsupportedMediaType(
            f"This file is not an image salon accepts. Upload one of: {accepted} (the type is read from the file's "
            "contents, not from its name).",
            extra={"accepted": sorted(ACCEPTED_FORMATS.values())},
        ) from None
    except Image.DecompressionBombError:
        raise _too_many_pixels(max_pixels) from None
    except (OSError, SyntaxError, ValueError) as exc:  # a recognised format with a broken header
        raise ValidationFailed(f"This image is damaged and cannot be read ({exc}).", extra={"field": "file"}) from exc
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels, width, height)
    return Sniffed(content_type, width, height)


def _too_many_pixels(max_pixels: int, width: int | None = None, height: int | None = None) -> ValidationFailed:
    size = f" ({width}x{height})" if width and height else ""
    return ValidationFailed(
        f"This image is too large{size}: at most {max_pixels:,} pixels (width x height) are accepted. Scale it down "
        "and upload again.",
        extra={"field": "file", "max_pixels": max_pixels},
    )


class ImageDamaged(Exception):
    """The image could not be decoded: processing fails for good (retrying cannot help)."""


def make_variants(data: bytes, *, web_max: int, thumbnail_max: int) -> Variants:
    """The web copy (longest side ``web_max``) and the thumbnail (``thumbnail_max``), both WebP without metadata."""
    try:
        with Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS)) as image:
            if getattr(image, "n_frames", 1) > 1:
                frames, durations, loop = _frames(image)
            else:
                frames, durations, loop = [_clean(image)], [], 0
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageDamaged(str(exc)) from exc
    icc_profile = frames[0].info.get("icc_profile")
    web_frames = [_fit(frame, web_max) for frame in frames]
    web = _encode(web_frames, durations, loop, icc_profile)
    thumbnail = _encode([_fit(frames[0], thumbnail_max)], [], 0, icc_profile)
    width, height = web_frames[0].size
    return Variants(web=web, thumbnail=thumbnail, width=width, height=height)


def _clean(image: Image.Image) -> Image.Image:
    """Decoded pixels, turned upright per the EXIF orientation, in RGB(A), carrying no metadata but the ICC profile."""
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    pixels = upright.convert("RGBA" if has_alpha else "RGB")
    icc_profile = image.info.get("icc_profile")
    pixels.info = {"icc_profile": icc_profile} if icc_profile else {}
    return pixels


def _frames(image: Image.Image) -> tuple[list[Image.Image], list[int], int]:
    frames, durations = [], []
    for index, frame in enumerate(ImageSequence.Iterator(image)):
        if index >= MAX_FRAMES:
            break
        frames.append(_clean(frame))
        durations.append(int(frame.info.get("duration", 100)) or 100)
    return frames, durations, int(image.info.get("loop", 0))


def _fit(image: Image.Image, max_side: int) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    copy.info = dict(image.info)
    return copy


def _encode(frames: list[Image.Image], durations: list[int], loop: int, icc_profile: bytes | None) -> bytes:
    out = io.BytesIO()
    options: dict[str, object] = {"format": "WEBP", "quality": WEBP_QUALITY, "method": 4}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if len(frames) > 1:
        options.update(save_all=True, append_images=frames[1:], duration=durations, loop=loop)
    frames[0].save(out, **options)  # type: ignore[arg-type]
    return out.getvalue()
