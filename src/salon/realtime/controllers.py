"""HTTP endpoints of the real-time package: the event stream, stream tickets and presence."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.response import ServerSentEvent
from litestar.security.jwt import Token

from salon.lib.auth import Viewer
from salon.lib.errors import Unauthorized, ValidationFailed
from salon.lib.ids import parse_id
from salon.lib.sse import SseResponse
from salon.realtime import presence, tickets
from salon.realtime.eventlog import StreamId
from salon.realtime.hub import hub
from salon.realtime.schemas import PresenceList, PresencePreference, PresenceUpdate, StreamTicket, UserPresence
from salon.realtime.stream import EventStream
from salon.realtime.tickets import Grant
from salon.settings import Settings

MAX_PRESENCE_USERS = 100
SignedIn = NamedDependency[Viewer]
MaybeViewer = NamedDependency[Viewer | None]
Config = NamedDependency[Settings]


class EventStreamController(Controller):
    path = "/events"
    tags = ["real-time"]

    @get(
        "/",
        operation_id="open_event_stream",
        opt={"public": True},  # authenticated below: a bearer token or a stream ticket
        media_type="text/event-stream",
    )
    async def open_stream(
        self,
        request: Request[Any, Any, Any],
        maybe_viewer: MaybeViewer,
        settings: Config,
        last_event_id_header: Annotated[str | None, HeaderParameter(name="Last-Event-ID", required=False)] = None,
        last_event_id: FromQuery[str | None] = None,
        ticket: FromQuery[str | None] = None,
    ) -> ServerSentEvent:
        """The signed-in user's events as Server-Sent Events (see docs/api.md, "Real-time").

        Resume with the ``Last-Event-ID`` header (or ``?last_event_id=``): the events after it are replayed, then live
        ones follow. Authenticate with ``Authorization: Bearer`` or, from EventSource, ``?ticket=`` from
        ``POST /api/v1/events/ticket``. When the session behind the stream ends (or its token is revoked), or the access
        token (the ticket's token) expires, the stream sends ``session.ended`` and closes.
        """
        if maybe_viewer is not None:
            grant = Grant(maybe_viewer, _token_expiry(request, maybe_viewer, settings))
        else:
            grant = await _grant_from_ticket(ticket, settings)
        resume_from = last_event_id_header or last_event_id
        stream = EventStream(
            grant.viewer, StreamId.parse(resume_from) if resume_from else None, settings, grant.expires_at
        )
        hub().check_available()
        return SseResponse(stream.frames())

    @post("/ticket", operation_id="create_stream_ticket", status_code=201)
    async def create_ticket(self, request: Request[Any, Any, Any], viewer: SignedIn, settings: Config) -> StreamTicket:
        """A single-use ticket to open the event stream with ``?ticket=``, valid ``expires_in`` seconds (never past
        the access token's own expiry)."""
        expires_at = _token_expiry(request, viewer, settings)
        return await tickets.issue(viewer, settings.stream_ticket_ttl_seconds, expires_at)


def _token_expiry(request: Request[Any, Any, Any], viewer: Viewer, settings: Settings) -> float:
    """When the request's access token expires (its ``exp``; a token issued now lives the configured lifetime)."""
    token = request.auth
    if isinstance(token, Token) and isinstance(token.exp, datetime):
        return token.exp.timestamp()
    return viewer.issued + settings.access_token_ttl_seconds


async def _grant_from_ticket(ticket: str | None, settings: Settings) -> Grant:
    if not ticket:
        raise Unauthorized(
            "Sign in first: send 'Authorization: Bearer <access token>', or (EventSource) pass ?ticket= from "
            "POST /api/v1/events/ticket.",
            extra={"code": "no_token"},
        )
    return await tickets.redeem(ticket, settings.access_token_ttl_seconds)


class PresenceController(Controller):
    path = "/presence"
    tags = ["real-time"]

    @post("/", operation_id="set_presence", status_code=200)
    async def set_presence(self, viewer: SignedIn, data: JSONBody[PresenceUpdate]) -> UserPresence:
        """Tell salon the user is active (``online``) or away (``idle``); friends and mutual follows are told."""
        return await presence.set_mode(viewer.id, data.status)

    @get("/", operation_id="get_presence")
    async def get_presence(
        self, viewer: SignedIn, users: Annotated[list[str], QueryParameter(name="users", required=True)]
    ) -> PresenceList:
        """Presence of up to 100 users (``?users=id1,id2`` or repeated ``users=``). Hidden users appear offline."""
        raw_ids = [part.strip() for value in users for part in value.split(",") if part.strip()]
        if not raw_ids or len(raw_ids) > MAX_PRESENCE_USERS:
            raise ValidationFailed(f"Pass between 1 and {MAX_PRESENCE_USERS} user ids in ?users=.")
        ids = [parse_id(raw) for raw in raw_ids]
        if None in ids:
            bad = [raw for raw, parsed in zip(raw_ids, ids, strict=True) if parsed is None]
            raise ValidationFailed(f"These are not user ids: {', '.join(bad[:5])}.", extra={"invalid_ids": bad})
        unique = list(dict.fromkeys(user_id for user_id in ids if user_id is not None))
        return PresenceList(items=await presence.presence_of(viewer.id, unique))

    @get("/settings", operation_id="get_presence_settings")
    async def get_settings(self, viewer: SignedIn) -> PresencePreference:
        """Whether the user hides their presence."""
        return await presence.preference(viewer.id)

    @put("/settings", operation_id="set_presence_settings")
    async def put_settings(self, viewer: SignedIn, data: JSONBody[PresencePreference]) -> PresencePreference:
        """Hide (``{"hidden": true}``) or show the user's presence to everyone else."""
        return await presence.set_preference(viewer.id, data.hidden)


ROUTES = [EventStreamController, PresenceController]
