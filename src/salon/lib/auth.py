"""Authentication: Litestar's JWTAuth with short-lived access tokens, a revocation check, and optional auth.

Access tokens carry the user id (``sub``), ``jti``, the session id (``sid``), username and role, so a request is
authenticated without a database read. Revocation is one Valkey MGET per request covering: a logged-out token (jti
deny-list), an ended session, and "every token issued before T" for a user (password change, deactivation).

Every /api/v1 route requires a signed-in user unless its handler sets ``opt={"public": True}``; public handlers still
see the viewer when a token is sent (``request.user`` is a ``Viewer`` or ``None``).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, Token
from litestar.security.jwt.middleware import JWTAuthenticationMiddleware

from salon.lib import valkey as valkey_client
from salon.lib.errors import Forbidden, Unauthorized
from salon.settings import Settings

ROLES = ("user", "moderator", "admin")
PUBLIC_PATHS = ["^/health$", "^/ready$", "^/metrics", "^/schema", "^/docs", "^/static/"]


class Viewer(msgspec.Struct, frozen=True):
    """The signed-in user of a request, as the access token describes them."""

    id: str
    username: str
    role: str
    session_id: str
    jti: str
    issued_at: int

    @property
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(self.id)

    @property
    def is_moderator(self) -> bool:
        return self.role in ("moderator", "admin")


def deny_jti_key(jti: str) -> str:
    return f"auth:deny:jti:{jti}"


def revoked_session_key(session_id: str) -> str:
    return f"auth:deny:session:{session_id}"


def revoked_before_key(user_id: str) -> str:
    return f"auth:deny:before:{user_id}"


async def _viewer_from_token(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Viewer | None:
    extras = token.extras or {}
    try:
        return Viewer(
            id=token.sub,
            username=str(extras["username"]),
            role=str(extras.get("role", "user")),
            session_id=str(extras["sid"]),
            jti=str(token.jti or ""),
            issued_at=int(token.iat.timestamp()),
        )
    except KeyError:
        return None


async def _is_revoked(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    extras = token.extras or {}
    if not token.jti or "sid" not in extras:
        return True
    jti_flag, session_flag, revoked_before = await valkey_client.client().mget(
        deny_jti_key(str(token.jti)), revoked_session_key(str(extras["sid"])), revoked_before_key(token.sub)
    )
    if jti_flag or session_flag:
        return True
    return bool(revoked_before and _issued_at(token) <= float(revoked_before))


def _issued_at(token: Token) -> float:
    """Issue time with millisecond precision (``iat`` has whole seconds only, which would either let a token issued
    just before a revocation through or refuse one issued just after it)."""
    issued_ms = (token.extras or {}).get("iat_ms")
    return int(issued_ms) / 1000 if isinstance(issued_ms, int) else token.iat.timestamp()


class OptionalJWTAuthenticationMiddleware(JWTAuthenticationMiddleware):
    """No Authorization header: anonymous (``user=None``); a header with a bad token: 401 with a useful message."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get(self.auth_header)
        if not header:
            return AuthenticationResult(user=None, auth=None)
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "bearer" or not encoded:
            raise Unauthorized("The Authorization header must be 'Bearer <access token>'.")
        try:
            return await self.authenticate_token(encoded_token=encoded.strip(), connection=connection)
        except NotAuthorizedException as exc:
            raise Unauthorized(
                "The access token is invalid, expired or revoked. Refresh it (POST /api/v1/auth/refresh) or sign in "
                "again.",
                extra={"code": "invalid_token"},
            ) from exc


def build_jwt_auth(settings: Settings) -> JWTAuth[Viewer, Token]:
    return JWTAuth[Viewer, Token](
        retrieve_user_handler=_viewer_from_token,
        revoked_token_handler=_is_revoked,
        token_secret=settings.secret,
        algorithm="HS256",
        default_token_expiration=timedelta(seconds=settings.access_token_ttl_seconds),
        exclude=PUBLIC_PATHS,
        authentication_middleware_class=OptionalJWTAuthenticationMiddleware,
        require_claims=["exp", "iat", "sub", "jti"],
    )


def issue_access_token(
    settings: Settings, *, user_id: str, username: str, role: str, session_id: str
) -> tuple[str, str, int]:
    """Return ``(token, jti, expires_in_seconds)`` for a new access token of session ``session_id``."""
    jti = uuid.uuid4().hex
    now = datetime.now(tz=UTC)
    ttl = settings.access_token_ttl_seconds
    token = Token(
        exp=now + timedelta(seconds=ttl),
        iat=now,
        sub=user_id,
        jti=jti,
        extras={"username": username, "role": role, "sid": session_id, "iat_ms": int(now.timestamp() * 1000)},
    ).encode(secret=settings.secret, algorithm="HS256")
    return token, jti, ttl


async def revoke_access_token(viewer: Viewer, expires_at: float) -> None:
    """Deny-list one access token until it would have expired anyway."""
    ttl = max(1, int(expires_at - time.time()) + 1)
    await valkey_client.client().set(deny_jti_key(viewer.jti), "1", ex=ttl)


async def revoke_sessions_access(session_ids: list[str], ttl_seconds: int) -> None:
    """Refuse access tokens of ended sessions for as long as any of them can still be valid."""
    if not session_ids:
        return
    async with valkey_client.client().pipeline(transaction=False) as pipe:
        for session_id in session_ids:
            pipe.set(revoked_session_key(session_id), "1", ex=ttl_seconds + 1)
        await pipe.execute()


async def revoke_all_access_tokens(user_id: str, ttl_seconds: int) -> None:
    """Refuse every access token of ``user_id`` issued up to now (password change, deactivation)."""
    await valkey_client.client().set(revoked_before_key(user_id), f"{time.time():.3f}", ex=ttl_seconds + 1)


# Guards ---------------------------------------------------------------------------------------------------------


def current_viewer(connection: ASGIConnection[Any, Any, Any, Any]) -> Viewer | None:
    return connection.scope.get("user")


async def signed_in(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Router-wide guard: a user must be signed in unless the handler is marked ``opt={"public": True}``.
    Guards are coroutines: Litestar runs a plain function guard in a worker thread, a thread hop per request."""
    if handler.opt.get("public"):
        return
    if current_viewer(connection) is None:
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <access token>'.", extra={"code": "no_token"})


def require_role(*roles: str) -> Any:
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        viewer = current_viewer(connection)
        if viewer is None:
            raise Unauthorized("Sign in first: send 'Authorization: Bearer <access token>'.")
        if viewer.role not in roles:
            raise Forbidden(f"This needs the {' or '.join(roles)} role.")

    return guard


async def provide_viewer(request: Request[Any, Any, Any]) -> Viewer:
    """Dependency ``viewer``: the signed-in user (handlers behind the ``signed_in`` guard)."""
    viewer = current_viewer(request)
    if viewer is None:
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <access token>'.")
    return viewer


async def provide_optional_viewer(request: Request[Any, Any, Any]) -> Viewer | None:
    """Dependency ``maybe_viewer``: the signed-in user, or ``None`` on public handlers called anonymously."""
    return current_viewer(request)
