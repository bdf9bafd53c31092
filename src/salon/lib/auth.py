"""Authentication: Litestar's JWTAuth with short-lived access tokens, a revocation check, and optional auth.

Access tokens carry the user id (``sub``), ``jti``, the session id (``sid``), username and role, so a request is
authenticated without a database read. Revocation is one Valkey MGET per request covering: a logged-out token (jti
deny-list), an ended session, and "every token issued before T" for a user (password change, deactivation).

Open event streams are told too: each revocation also publishes an internal message on the user's live channel
(``REVOCATION_MESSAGE``, a ``Revocation``) that the event hub of every process matches against its streams' viewers,
and each process re-checks the same keys for its open streams every heartbeat interval in case a message was missed
(``salon.realtime.leases``).

Every /api/v1 route requires a signed-in user unless its handler sets ``opt={"public": True}``; public handlers still
see the viewer when a token is sent (``request.user`` is a ``Viewer`` or ``None``).
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, NamedTuple

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import AuthenticationResult
from litestar.security.jwt import JWTAuth, Token
from litestar.security.jwt.middleware import JWTAuthenticationMiddleware

from salon.lib import events
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
    issued_at_ms: int = 0  # the token's ``iat_ms`` (0 in stream tickets issued before it existed)

    @property
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(self.id)

    @property
    def issued(self) -> float:
        """When the access token was issued (seconds, millisecond precision when the token carried it)."""
        return self.issued_at_ms / 1000 if self.issued_at_ms else float(self.issued_at)

    @property
    def is_moderator(self) -> bool:
        return self.role in ("moderator", "admin")


def deny_jti_key(jti: str) -> str:
    return f"auth:deny:jti:{jti}"


def revoked_session_key(session_id: str) -> str:
    return f"auth:deny:session:{session_id}"


def revoked_before_key(user_id: str) -> str:
    return f"auth:deny:before:{user_id}"


def revocation_keys(viewer: Viewer) -> tuple[str, str, str]:
    """The keys that say whether ``viewer``'s access was revoked: ``(jti, session, before)``, in that order."""
    return deny_jti_key(viewer.jti), revoked_session_key(viewer.session_id), revoked_before_key(viewer.id)


RevocationReason = Literal["session_ended", "tokens_revoked"]
SESSION_ENDED: Final = "session_ended"  # the session was signed out (logout, sessions list, password change ...)
TOKENS_REVOKED: Final = "tokens_revoked"  # every access token issued before a time was refused; the session may live


def revocation_reason(viewer: Viewer, jti_flag: Any, session_flag: Any, revoked_before: Any) -> RevocationReason | None:
    """Why ``viewer``'s access was revoked, given the values of ``revocation_keys(viewer)``; None when it was not.
    The one rule, for a request's token, a stream ticket and an open stream: a denied token or an ended session, or a
    token issued at or before the user's "revoked before" time."""
    if jti_flag or session_flag:
        return SESSION_ENDED
    if revoked_before and viewer.issued <= float(revoked_before):
        return TOKENS_REVOKED
    return None


async def revoked(viewer: Viewer) -> RevocationReason | None:
    """``revocation_reason`` read from Valkey now: one MGET."""
    return revocation_reason(viewer, *await valkey_client.client().mget(*revocation_keys(viewer)))


# The MGET of ``revoked`` as a script, so a caller can send it in one pipeline with other script calls
# (``salon.lib.valkey.run_scripts``): an event stream's opening (``salon.realtime.stream``).
_READ_REVOCATION = "return redis.call('MGET', KEYS[1], KEYS[2], KEYS[3])"


def revoked_call(viewer: Viewer) -> valkey_client.ScriptCall:
    """``revoked`` as one script call; its reply goes to ``revoked_from_reply``."""
    return valkey_client.ScriptCall(
        valkey_client.script(_READ_REVOCATION), revocation_keys(viewer), [], "revocation check"
    )


def revoked_from_reply(viewer: Viewer, reply: list[Any]) -> RevocationReason | None:
    """``revocation_reason`` from the reply of ``revoked_call(viewer)``."""
    return revocation_reason(viewer, *reply)


REVOCATION_MESSAGE = "internal.revocation"
"""The name of the message a revocation publishes on the user's live channel. Never forwarded to clients: the event
hub consumes it and ends the matching streams (see ``salon.realtime.hub``)."""


class Revocation(msgspec.Struct, frozen=True, omit_defaults=True):
    """What was revoked for one user: some of their sessions, and/or every access token issued up to ``before``."""

    sessions: list[str] = []
    before: float | None = None

    def reason_for(self, viewer: Viewer) -> RevocationReason | None:
        return revocation_reason(viewer, None, viewer.session_id in self.sessions, self.before)


def _announce_revocations(pipe: Any, revocations: dict[str, Revocation]) -> None:
    for user_id, revocation in revocations.items():
        payload = msgspec.json.encode(revocation).decode()
        pipe.publish(events.user_channel(user_id), events.live_message("", REVOCATION_MESSAGE, payload))


async def _viewer_from_token(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Viewer | None:
    """The token's viewer; None (refused) for a token without the claims a viewer needs."""
    extras = token.extras or {}
    if not token.jti:
        return None
    try:
        return Viewer(
            id=token.sub,
            username=str(extras["username"]),
            role=str(extras.get("role", "user")),
            session_id=str(extras["sid"]),
            jti=str(token.jti),
            issued_at=int(token.iat.timestamp()),
            issued_at_ms=_issued_at_ms(token),
        )
    except KeyError:
        return None


def _issued_at_ms(token: Token) -> int:
    """Issue time in milliseconds (``iat`` has whole seconds only, which would either let a token issued just before a
    revocation through or refuse one issued just after it)."""
    issued_ms = (token.extras or {}).get("iat_ms")
    return issued_ms if isinstance(issued_ms, int) else int(token.iat.timestamp() * 1000)


class _Verified(NamedTuple):
    secret: str
    token: Token
    viewer: Viewer | None
    expires_at: float


VERIFIED_TOKENS_MAX = 4096
"""How many verified access tokens each process remembers (a few MiB at most)."""
_verified_tokens: OrderedDict[str, _Verified] = OrderedDict()


class OptionalJWTAuthenticationMiddleware(JWTAuthenticationMiddleware):
    """No Authorization header: anonymous (``user=None``); a header with a bad token: 401 with a useful message.

    A client sends the same access token with every request for its lifetime, and verifying it (base64, HMAC, claims)
    costs more CPU than a whole simple request. So a token that verified once is remembered by its exact text, for
    this app's secret, in a bounded LRU: later requests only re-check its expiry. The revocation check still runs on
    every request.
    """

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

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        verified = _verified_tokens.get(encoded_token)
        if verified is None or verified.secret != self.token_secret:
            verified = await self._verify(encoded_token, connection)
        elif verified.expires_at <= time.time():  # the test PyJWT applies (no leeway)
            del _verified_tokens[encoded_token]
            raise NotAuthorizedException("Token has expired")
        else:
            _verified_tokens.move_to_end(encoded_token)
        if verified.viewer is None or await revoked(verified.viewer) is not None:
            raise NotAuthorizedException()
        return AuthenticationResult(user=verified.viewer, auth=verified.token)

    async def _verify(self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]) -> _Verified:
        token = self.token_cls.decode(
            encoded_token=encoded_token,
            secret=self.token_secret,
            algorithm=self.algorithm,
            audience=self.token_audience,
            issuer=self.token_issuer,
            require_claims=self.require_claims,
            verify_exp=self.verify_expiry,
            verify_nbf=self.verify_not_before,
            strict_audience=self.strict_audience,
        )
        verified = _Verified(
            self.token_secret, token, await self.retrieve_user_handler(token, connection), token.exp.timestamp()
        )
        _verified_tokens[encoded_token] = verified
        while len(_verified_tokens) > VERIFIED_TOKENS_MAX:
            _verified_tokens.popitem(last=False)
        return verified


def build_jwt_auth(settings: Settings) -> JWTAuth[Viewer, Token]:
    return JWTAuth[Viewer, Token](
        retrieve_user_handler=_viewer_from_token,
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


async def revoke_sessions_access(
    session_ids: list[str], ttl_seconds: int, *, owners: dict[str, str] | None = None
) -> None:
    """Refuse access tokens of ended sessions for as long as any of them can still be valid, and end their open event
    streams. ``owners`` maps session id to user id: the streams of sessions without an owner there are ended by
    their process's periodic check instead (within a heartbeat interval) rather than at once."""
    if not session_ids:
        return
    by_user: dict[str, list[str]] = {}
    for session_id, user_id in (owners or {}).items():
        by_user.setdefault(user_id, []).append(session_id)
    async with valkey_client.client().pipeline(transaction=False) as pipe:
        for session_id in session_ids:
            pipe.set(revoked_session_key(session_id), "1", ex=ttl_seconds + 1)
        # After the keys: a stream that misses the message still finds the key at its next check.
        _announce_revocations(pipe, {user: Revocation(sessions=ids) for user, ids in by_user.items()})
        await pipe.execute()


async def revoke_all_access_tokens(user_id: str, ttl_seconds: int) -> None:
    """Refuse every access token of ``user_id`` issued up to now (deactivation, suspension, role change), and end
    the event streams opened with them."""
    now = round(time.time(), 3)
    async with valkey_client.client().pipeline(transaction=False) as pipe:
        pipe.set(revoked_before_key(user_id), f"{now:.3f}", ex=ttl_seconds + 1)
        _announce_revocations(pipe, {user_id: Revocation(before=now)})
        await pipe.execute()


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


# Why the viewer providers take ``settings``, which they do not use: Litestar resolves the dependencies a handler needs
# in batches by depth and runs a batch of two or more in an anyio task group, which cost ~40 us per request here
# (litestar-org/litestar#4563), more than the JSON reference's whole request. Depending on ``settings`` puts it in a
# batch before the viewer, so every handler (viewer or maybe_viewer, plus settings) resolves them one at a time.
SettingsFirst = NamedDependency[Settings]


async def provide_viewer(request: Request[Any, Any, Any], settings: SettingsFirst) -> Viewer:
    """Dependency ``viewer``: the signed-in user (handlers behind the ``signed_in`` guard)."""
    viewer = current_viewer(request)
    if viewer is None:
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <access token>'.")
    return viewer


async def provide_optional_viewer(request: Request[Any, Any, Any], settings: SettingsFirst) -> Viewer | None:
    """Dependency ``maybe_viewer``: the signed-in user, or ``None`` on public handlers called anonymously."""
    return current_viewer(request)
