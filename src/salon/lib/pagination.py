"""The one cursor-pagination helper.

Lists are keyset-paginated: a cursor encodes the sort key of the last item returned, so concurrent inserts never
produce a duplicate or a skip. Cursors are opaque (base64url JSON) and validated: a tampered cursor is a 400.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import msgspec

from salon.lib.errors import AppError

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class BadCursor(AppError):
    status_code = 400
    title = "Invalid cursor"


def encode_cursor(*key: Any) -> str:
    raw = msgspec.json.encode(list(key))
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str | None, *types: type) -> tuple[Any, ...] | None:
    """Decode a cursor made by ``encode_cursor`` whose parts have ``types`` (e.g. ``str``, ``int``, ``datetime``)."""
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = msgspec.json.decode(raw)
        if not isinstance(parts, list) or len(parts) != len(types):
            raise ValueError("wrong shape")
        return tuple(msgspec.convert(part, type_, strict=False) for part, type_ in zip(parts, types, strict=True))
    except (ValueError, binascii.Error, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadCursor(
            "This cursor is not valid. Use the next_cursor value from a previous page exactly as returned."
        ) from exc


R = TypeVar("R")


def split_page(rows: list[R], limit: int, key: Callable[[R], tuple[Any, ...]]) -> tuple[list[R], str | None]:
    """Queries fetch ``limit + 1`` rows; this keeps ``limit`` of them and makes the cursor from the last one kept."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(*key(rows[-1]))
    return rows, None
