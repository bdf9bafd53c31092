"""Stream tickets: EventSource cannot send an Authorization header, and an access token must never sit in a URL.

``POST /api/v1/events/ticket`` (bearer auth) returns a random ticket valid for ``stream_ticket_ttl_seconds`` and usable
once. Valkey keeps only its SHA-256, so a leaked Valkey dump or log holds no usable ticket. Redeeming checks that the
session behind it was not ended meanwhile, nor its access token revoked (the same revocation keys, and the same
millisecond comparison, as access tokens).

A ticket stands in for the access token it was issued from, no longer: it carries that token's expiry, it is not valid
past it, and a stream opened with it ends at it (``session.ended`` ``token_expired``), as one opened with the token
itself would.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time

import msgspec

from salon.lib import auth
from salon.lib import valkey as valkey_client
from salon.lib.auth import Viewer
from salon.lib.errors import Unauthorized
from salon.realtime.schemas import StreamTicket


def _ticket_key(ticket: str) -> str:
    return f"events:ticket:{hashlib.sha256(ticket.encode()).hexdigest()}"


class Grant(msgspec.Struct, frozen=True):
    """What a redeemed ticket gives: the viewer, and when the access token the ticket was issued from expires."""

    viewer: Viewer
    expires_at: float


class _Expiry(msgspec.Struct):
    """Stored next to the viewer's fields: readers of the older format ignore it, tickets of that format lack it."""

    token_expires_at: float = 0.0


async def issue(viewer: Viewer, ttl_seconds: int, token_expires_at: float) -> StreamTicket:
    """A ticket for ``viewer``, valid ``ttl_seconds`` but not past ``token_expires_at`` (its access token's ``exp``)."""
    ttl = min(ttl_seconds, math.ceil(token_expires_at - time.time()))
    if ttl <= 0:  # the token expired while this request ran
        raise Unauthorized(
            "The access token has expired. Refresh it (POST /api/v1/auth/refresh), then get a ticket.",
            extra={"code": "invalid_token"},
        )
    ticket = secrets.token_urlsafe(32)
    stored = msgspec.json.encode({**msgspec.structs.asdict(viewer), "token_expires_at": token_expires_at})
    await valkey_client.client().set(_ticket_key(ticket), stored, ex=ttl)
    return StreamTicket(ticket=ticket, expires_in=ttl)


async def redeem(ticket: str, token_ttl_seconds: int) -> Grant:
    """The viewer a ticket was issued to, and its token's expiry; the ticket is spent. Unknown, expired, used, past its
    token's expiry or revoked: 401. ``token_ttl_seconds`` dates tickets issued before they carried the expiry."""
    raw = await valkey_client.client().getdel(_ticket_key(ticket))
    viewer = msgspec.json.decode(raw, type=Viewer) if raw is not None else None
    if viewer is None:
        raise Unauthorized(
            "This stream ticket is unknown, expired or already used. Get a new one from POST /api/v1/events/ticket "
            "right before opening the stream.",
            extra={"code": "invalid_ticket"},
        )
    expires_at = msgspec.json.decode(raw, type=_Expiry).token_expires_at or viewer.issued + token_ttl_seconds
    if expires_at <= time.time():
        raise Unauthorized(
            "The access token this ticket was issued from has expired. Refresh it (POST /api/v1/auth/refresh), then "
            "get a new ticket.",
            extra={"code": "invalid_ticket"},
        )
    if await auth.revoked(viewer) is not None:
        raise Unauthorized("The session this ticket belongs to has ended. Sign in again.", extra={"code": "revoked"})
    return Grant(viewer, expires_at)
