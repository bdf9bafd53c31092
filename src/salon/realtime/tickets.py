"""Stream tickets: EventSource cannot send an Authorization header, and an access token must never sit in a URL.

``POST /api/v1/events/ticket`` (bearer auth) returns a random ticket valid for ``stream_ticket_ttl_seconds`` and usable
once. Valkey keeps only its SHA-256, so a leaked Valkey dump or log holds no usable ticket. Redeeming checks that the
session behind it was not ended meanwhile, nor its access token revoked (the same revocation keys, and the same
millisecond comparison, as access tokens).
"""

from __future__ import annotations

import hashlib
import secrets

import msgspec

from salon.lib import auth
from salon.lib import valkey as valkey_client
from salon.lib.auth import Viewer
from salon.lib.errors import Unauthorized
from salon.realtime.schemas import StreamTicket


def _ticket_key(ticket: str) -> str:
    return f"events:ticket:{hashlib.sha256(ticket.encode()).hexdigest()}"


async def issue(viewer: Viewer, ttl_seconds: int) -> StreamTicket:
    ticket = secrets.token_urlsafe(32)
    await valkey_client.client().set(_ticket_key(ticket), msgspec.json.encode(viewer), ex=ttl_seconds)
    return StreamTicket(ticket=ticket, expires_in=ttl_seconds)


async def redeem(ticket: str) -> Viewer:
    """The viewer a ticket was issued to; the ticket is spent. Unknown, expired, used or revoked: 401."""
    raw = await valkey_client.client().getdel(_ticket_key(ticket))
    if raw is None:
        raise Unauthorized(
            "This stream ticket is unknown, expired or already used. Get a new one from POST /api/v1/events/ticket "
            "right before opening the stream.",
            extra={"code": "invalid_ticket"},
        )
    viewer = msgspec.json.decode(raw, type=Viewer)
    flags = await valkey_client.client().mget(*auth.revocation_keys(viewer))
    if auth.revocation_reason(viewer, *flags) is not None:
        raise Unauthorized("The session this ticket belongs to has ended. Sign in again.", extra={"code": "revoked"})
    return viewer
