"""HTTP endpoints for accounts and sign-in. Thin: parse, call a service, return its Struct."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from salon.accounts import google, services, sessions, twofactor
from salon.accounts import profile as profiles
from salon.accounts.schemas import (
    DeactivateBody,
    GoogleBody,
    LoginBody,
    Me,
    PasswordChangeBody,
    Profile,
    ProfilePatch,
    RecoveryCodes,
    RefreshBody,
    RegisterBody,
    RoleBody,
    SessionView,
    TokenResponse,
    TotpDisableBody,
    TotpEnableBody,
    TotpSetup,
)
from salon.accounts.sessions import ClientInfo
from salon.feed.affinity import record_profile_visit
from salon.lib.auth import require_role
from salon.lib.errors import NotFound, clipped
from salon.lib.ids import parse_id
from salon.lib.pagination import DEFAULT_LIMIT, Page
from salon.lib.params import Config, Limit, MaybeViewer, SignedIn
from salon.social.visibility import has_blocked

PUBLIC = {"public": True}
# The routes that take their credentials from the body ignore the Authorization header: a client that attaches its
# access token to every request must still be able to refresh or sign in once that token is expired or revoked.
CREDENTIALS = {"public": True, "exclude_from_auth": True}
AnyRequest = Request[Any, Any, Any]


def client_info(request: AnyRequest) -> ClientInfo:
    return ClientInfo(
        user_agent=request.headers.get("user-agent", ""),
        ip_address=request.client.host if request.client else "unknown",
    )


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/register", operation_id="register", opt=CREDENTIALS, status_code=201)
    async def register(self, data: JSONBody[RegisterBody], request: AnyRequest, settings: Config) -> TokenResponse:
        """Create an account and sign in: returns the user, an access token and a refresh token."""
        return await services.register(settings, data, client_info(request))

    @post("/login", operation_id="login", opt=CREDENTIALS, status_code=200)
    async def login(self, data: JSONBody[LoginBody], request: AnyRequest, settings: Config) -> TokenResponse:
        """Sign in with username or email and password (plus totp_code or recovery_code when 2FA is on)."""
        return await services.login(settings, data, client_info(request))

    @post("/refresh", operation_id="refresh", opt=CREDENTIALS, status_code=200)
    async def refresh(self, data: JSONBody[RefreshBody], request: AnyRequest, settings: Config) -> TokenResponse:
        """Rotate a refresh token: the old one stops working; reusing it ends the session."""
        return await services.refresh(settings, data.refresh_token, client_info(request))

    @post("/google", operation_id="google_sign_in", opt=CREDENTIALS, status_code=200)
    async def google_sign_in(self, data: JSONBody[GoogleBody], request: AnyRequest, settings: Config) -> TokenResponse:
        """Sign in with a Google ID token; creates the account (or links one with the same verified email)."""
        return await google.sign_in(settings, data, client_info(request))

    @post("/logout", operation_id="logout", status_code=HTTP_204_NO_CONTENT)
    async def logout(self, viewer: SignedIn, settings: Config) -> None:
        """End this session: its access token and refresh family stop working."""
        await services.logout(settings, viewer)

    @get("/sessions", operation_id="list_sessions")
    async def list_sessions(
        self, viewer: SignedIn, limit: Limit = DEFAULT_LIMIT, cursor: FromQuery[str | None] = None
    ) -> Page[SessionView]:
        """The signed-in devices of this account, newest first; ``current`` marks the one making this request."""
        rows, next_cursor = await sessions.list_sessions(
            viewer.uuid, current_session_id=viewer.session_id, limit=limit, cursor=cursor
        )
        return Page(items=[services.session_view(row) for row in rows], next_cursor=next_cursor)

    @delete("/sessions/{session_id:str}", operation_id="end_session", status_code=HTTP_204_NO_CONTENT)
    async def end_session(self, session_id: FromPath[str], viewer: SignedIn, settings: Config) -> None:
        """Sign out one device (any of your own sessions, including this one)."""
        await sessions.end_session_of(settings, viewer.uuid, parse_id(session_id))

    @post("/2fa/setup", operation_id="totp_setup", status_code=200)
    async def totp_setup(self, viewer: SignedIn, settings: Config) -> TotpSetup:
        """Start two-factor setup: a secret and otpauth:// URI for an authenticator app (2FA is not on yet)."""
        return await twofactor.setup(settings, viewer.uuid)

    @post("/2fa/enable", operation_id="totp_enable", status_code=200)
    async def totp_enable(self, data: JSONBody[TotpEnableBody], viewer: SignedIn, settings: Config) -> RecoveryCodes:
        """Turn two-factor on with a code from the app; returns one-time recovery codes (shown only once)."""
        return await twofactor.enable(settings, viewer.uuid, data.code)

    @post("/2fa/disable", operation_id="totp_disable", status_code=HTTP_204_NO_CONTENT)
    async def totp_disable(self, data: JSONBody[TotpDisableBody], viewer: SignedIn, settings: Config) -> None:
        """Turn two-factor off with a current code or a recovery code."""
        await twofactor.disable(settings, viewer.uuid, code=data.code, recovery_code=data.recovery_code)


class UsersController(Controller):
    path = "/users"
    tags = ["users"]

    @get("/me", operation_id="get_me")
    async def get_me(self, viewer: SignedIn) -> Me:
        """Your own account, including email and security settings."""
        return await profiles.get_me(viewer.uuid)

    @patch("/me", operation_id="update_me")
    async def update_me(self, data: JSONBody[ProfilePatch], viewer: SignedIn) -> Me:
        """Change profile fields; fields left out keep their value."""
        return await profiles.update_me(viewer.uuid, data)

    @post("/me/password", operation_id="change_password", status_code=HTTP_204_NO_CONTENT)
    async def change_password(
        self, data: JSONBody[PasswordChangeBody], request: AnyRequest, viewer: SignedIn, settings: Config
    ) -> None:
        """Change the password (needs the current one); every other session is signed out."""
        await services.change_password(settings, viewer, data, client_info(request))

    @delete("/me", operation_id="deactivate_me", status_code=HTTP_204_NO_CONTENT)
    async def deactivate_me(
        self, data: JSONBody[DeactivateBody], request: AnyRequest, viewer: SignedIn, settings: Config
    ) -> None:
        """Deactivate the account (confirm with the password): the profile disappears, sign-in is refused, and the
        data is deleted after the retention period (30 days by default)."""
        await services.deactivate(settings, viewer, data, client_info(request))

    @get("/{username:str}", operation_id="get_profile", opt=PUBLIC)
    async def get_profile(self, username: FromPath[str], maybe_viewer: MaybeViewer, settings: Config) -> Profile:
        """Anyone's public profile (no email). 404 for unknown or deactivated users, and for a viewer the user has
        blocked (the blocker can still look up whom they blocked)."""
        profile = await profiles.public_profile(username, maybe_viewer.uuid if maybe_viewer else None)
        if maybe_viewer is not None:
            if await has_blocked(profile.id, maybe_viewer.id):
                raise NotFound(f"No user is called {clipped(username)!r}.")
            # A profile visit is an affinity signal for the ranked home feed (once per viewer, user and day).
            await record_profile_visit(maybe_viewer.id, profile.id, settings, datetime.now(tz=UTC).date().isoformat())
        return profile


class AdminUsersController(Controller):
    path = "/admin/users"
    tags = ["admin"]
    guards = [require_role("admin")]

    @put("/{username:str}/role", operation_id="set_user_role")
    async def set_role(
        self, username: FromPath[str], data: JSONBody[RoleBody], viewer: SignedIn, settings: Config
    ) -> Profile:
        """(admin) Make a user a ``user``, ``moderator`` or ``admin``; it applies from their next token refresh."""
        return await services.set_role(settings, viewer, username, data.role)


ROUTES = [AuthController, UsersController, AdminUsersController]
