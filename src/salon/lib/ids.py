"""Identifiers: UUIDv7 (time-ordered, so keyset pagination on the id is chronological), opaque strings in the API."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    return uuid7()


def parse_id(value: str) -> uuid.UUID | None:
    """Parse an id from a URL or body; ``None`` when it is not one of ours (callers answer 404 or 422)."""
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None


def require_id(value: str, error: Callable[[], Exception]) -> uuid.UUID:
    """``parse_id``, raising ``error()`` (the caller's 404 or 422, made only then) when ``value`` is not an id."""
    parsed = parse_id(value)
    if parsed is None:
        raise error()
    return parsed
