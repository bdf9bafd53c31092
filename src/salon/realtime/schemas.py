"""The real-time API contract (msgspec Structs; ids are strings)."""

from __future__ import annotations

from typing import Literal

import msgspec

from salon.realtime.events import PresenceStatus


class StreamTicket(msgspec.Struct, frozen=True):
    """A single-use credential for ``GET /api/v1/events?ticket=`` (for EventSource, which cannot send headers)."""

    ticket: str
    expires_in: int


class PresenceUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    status: Literal["online", "idle"]


class UserPresence(msgspec.Struct, frozen=True):
    user_id: str
    status: PresenceStatus
    last_seen: int | None = None  # ms since epoch; null while connected, or when hidden or unknown


class PresenceList(msgspec.Struct, frozen=True):
    items: list[UserPresence]


class PresencePreference(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    hidden: bool
