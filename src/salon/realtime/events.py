"""Client-facing events that the real-time package itself produces (see docs/api.md, "Real-time")."""

from __future__ import annotations

from typing import Literal

import msgspec

from salon.lib.events import event_type

PresenceStatus = Literal["online", "idle", "offline"]


@event_type("refetch")
class Refetch(msgspec.Struct, frozen=True):
    """Sent first on a stream resumed from an id older than the retained log: reload state, then follow the stream."""

    reason: Literal["log_trimmed"] = "log_trimmed"


EndReason = Literal["session_ended", "tokens_revoked", "token_expired"]


@event_type("session.ended", ephemeral=True)
class SessionEnded(msgspec.Struct, frozen=True):
    """The last event of a stream whose access was revoked or whose credential expired; the stream closes right after
    it. Do not reconnect with the same credentials: ``session_ended`` (this device was signed out: sign in again),
    ``tokens_revoked`` (access tokens issued before now are refused, e.g. after a role change: refresh, then
    reconnect) or ``token_expired`` (the access token the stream was opened with expired: refresh, then reconnect)."""

    reason: EndReason


@event_type("presence", ephemeral=True)
class PresenceChanged(msgspec.Struct, frozen=True):
    """A friend or mutual follow came online, went idle or went offline (``last_seen``: ms since epoch, or null)."""

    user_id: str
    status: PresenceStatus
    last_seen: int | None = None


@event_type("typing", ephemeral=True)
class Typing(msgspec.Struct, frozen=True):
    """``user_id`` is typing in ``conversation_id`` (``typing: false`` when they stopped or sent the message)."""

    conversation_id: str
    user_id: str
    typing: bool = True
