"""Sessions and refresh tokens.

A session is one signed-in device and one refresh-token family. Refresh tokens are 256-bit random strings shown to the
client once and stored only as SHA-256 (a high-entropy secret needs no slow hash). Every refresh rotates the token;
presenting a token that was already rotated means two parties hold the family (theft), so the whole session is ended
and its access tokens refused.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from salon.accounts.tables import AuthSession, RefreshToken
from salon.lib import auth, db
from salon.lib.errors import NotFound, Unauthorized
from salon.lib.ids import new_id
from salon.lib.pagination import decode_cursor, split_page
from salon.settings import Settings

USER_AGENT_MAX = 300


@dataclass(frozen=True)
class ClientInfo:
    """Where a sign-in comes from, shown in the sessions list."""

    user_agent: str
    ip_address: str


@dataclass(frozen=True)
class IssuedTokens:
    session_id: str
    access_token: str
    refresh_token: str
    expires_in: int


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(tz=UTC)


def _refresh_expiry(settings: Settings) -> datetime:
    return _now() + timedelta(days=settings.refresh_token_ttl_days)


async def _new_refresh_token(session_id: uuid.UUID) -> str:
    token = secrets.token_urlsafe(32)
    await RefreshToken.insert(RefreshToken(session=session_id, token_hash=hash_token(token)))
    return token


def _access_token(settings: Settings, user: dict[str, Any], session_id: uuid.UUID) -> tuple[str, int]:
    token, _, expires_in = auth.issue_access_token(
        settings, user_id=str(user["id"]), username=user["username"], role=user["role"], session_id=str(session_id)
    )
    return token, expires_in


async def start_session(settings: Settings, user: dict[str, Any], client: ClientInfo) -> IssuedTokens:
    """Open a session for ``user`` (a row with id, username, role) and issue its first token pair."""
    session_id = new_id()
    async with db.unit_of_work():
        await AuthSession.insert(
            AuthSession(
                id=session_id,
                user=user["id"],
                user_agent=client.user_agent[:USER_AGENT_MAX],
                ip_address=client.ip_address,
                expires_at=_refresh_expiry(settings),
            )
        )
        refresh_token = await _new_refresh_token(session_id)
    access_token, expires_in = _access_token(settings, user, session_id)
    return IssuedTokens(str(session_id), access_token, refresh_token, expires_in)


async def rotate(settings: Settings, refresh_token: str, client: ClientInfo) -> tuple[uuid.UUID, IssuedTokens]:
    """Exchange a refresh token for a new pair. Returns the user id and the new tokens."""
    token_hash = hash_token(refresh_token)
    reused = False
    async with db.unit_of_work():
        claimed = await (
            RefreshToken.update({RefreshToken.used_at: _now()})
            .where((RefreshToken.token_hash == token_hash) & RefreshToken.used_at.is_null())
            .returning(RefreshToken.session)
        )
        if claimed:
            session = await _live_session(claimed[0]["session"])
            if session is not None:
                return session["user"], await _continue_session(settings, session, client)
        else:
            used = await RefreshToken.select(RefreshToken.session).where(RefreshToken.token_hash == token_hash).first()
            if used is not None:
                reused = True
                await end_sessions(settings, [used["session"]])
    # Raised after the unit of work, so a family revoked for reuse stays revoked.
    if reused:
        raise Unauthorized(
            "This refresh token was already used, so its session was ended to protect the account. Sign in again.",
            extra={"code": "refresh_token_reused"},
        )
    if claimed:
        raise Unauthorized("This session has ended. Sign in again.", extra={"code": "session_ended"})
    raise Unauthorized("This refresh token is not valid. Sign in again.", extra={"code": "invalid_refresh_token"})


async def _live_session(session_id: uuid.UUID) -> dict[str, Any] | None:
    return (
        await AuthSession.select(
            AuthSession.id,
            AuthSession.user,
            AuthSession.user._.username.as_alias("username"),
            AuthSession.user._.role.as_alias("role"),
        )
        .where(
            (AuthSession.id == session_id)
            & AuthSession.revoked_at.is_null()
            & (AuthSession.expires_at > _now())
            & AuthSession.user._.is_active.eq(True)
        )
        .first()
    )


async def _continue_session(settings: Settings, session: dict[str, Any], client: ClientInfo) -> IssuedTokens:
    session_id = session["id"]
    await AuthSession.update(
        {
            AuthSession.last_used_at: _now(),
            AuthSession.expires_at: _refresh_expiry(settings),
            AuthSession.user_agent: client.user_agent[:USER_AGENT_MAX],
            AuthSession.ip_address: client.ip_address,
        }
    ).where(AuthSession.id == session_id)
    refresh_token = await _new_refresh_token(session_id)
    user = {"id": session["user"], "username": session["username"], "role": session["role"]}
    access_token, expires_in = _access_token(settings, user, session_id)
    return IssuedTokens(str(session_id), access_token, refresh_token, expires_in)


async def end_sessions(settings: Settings, session_ids: list[uuid.UUID]) -> None:
    """Revoke sessions (their refresh families) and, once committed, refuse their access tokens and end their open
    event streams."""
    if not session_ids:
        return
    async with db.unit_of_work():
        ended = await (
            AuthSession.update({AuthSession.revoked_at: _now()})
            .where(AuthSession.id.is_in(session_ids) & AuthSession.revoked_at.is_null())
            .returning(AuthSession.id, AuthSession.user)
        )
        ids = [str(session_id) for session_id in session_ids]
        owners = {str(row["id"]): str(row["user"]) for row in ended}  # whose open event streams to end

        async def refuse_access_tokens() -> None:
            await auth.revoke_sessions_access(ids, settings.access_token_ttl_seconds, owners=owners)

        await db.after_commit(refuse_access_tokens)


async def end_user_sessions(settings: Settings, user_id: uuid.UUID, *, keep: uuid.UUID | None = None) -> None:
    """End every live session of ``user_id`` except ``keep``."""
    query = AuthSession.select(AuthSession.id).where(
        (AuthSession.user == user_id) & AuthSession.revoked_at.is_null() & (AuthSession.expires_at > _now())
    )
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    await end_sessions(settings, [row["id"] for row in await query])


async def end_session_of(settings: Settings, user_id: uuid.UUID, session_id: uuid.UUID | None) -> None:
    """End one session of ``user_id``; 404 when it is not theirs or already ended."""
    owned = None
    if session_id is not None:
        owned = await AuthSession.exists().where(
            (AuthSession.id == session_id) & (AuthSession.user == user_id) & AuthSession.revoked_at.is_null()
        )
    if not owned:
        raise NotFound("No active session with this id. List yours with GET /api/v1/auth/sessions.")
    await end_sessions(settings, [session_id])  # type: ignore[list-item]


async def list_sessions(
    user_id: uuid.UUID, *, current_session_id: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The user's live sessions, newest first (keyset on the UUIDv7 id)."""
    query = AuthSession.select(
        AuthSession.id,
        AuthSession.user_agent,
        AuthSession.ip_address,
        AuthSession.created_at,
        AuthSession.last_used_at,
        AuthSession.expires_at,
    ).where((AuthSession.user == user_id) & AuthSession.revoked_at.is_null() & (AuthSession.expires_at > _now()))
    after = decode_cursor(cursor, uuid.UUID)
    if after is not None:
        query = query.where(AuthSession.id < after[0])
    rows = await query.order_by(AuthSession.id, ascending=False).limit(limit + 1)
    page, next_cursor = split_page(rows, limit, key=lambda row: (str(row["id"]),))
    for row in page:
        row["current"] = str(row["id"]) == current_session_id
    return page, next_cursor
