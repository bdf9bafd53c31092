"""Accounts: registration, sign-in, sessions, password, deactivation and roles. Only services touch tables.

How a user looks (own view, public profile) and editing one's profile live in ``salon.accounts.profile``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from salon.accounts import passwords, sessions, throttle, twofactor
from salon.accounts.events import UserDeactivated, UserPurged
from salon.accounts.profile import PROFILE_COLUMNS, bio_held, me_view, profile_view, user_by_id
from salon.accounts.schemas import (
    DeactivateBody,
    LoginBody,
    PasswordChangeBody,
    Profile,
    RegisterBody,
    SessionView,
    TokenResponse,
)
from salon.accounts.sessions import ClientInfo, IssuedTokens
from salon.accounts.tables import User
from salon.lib import auth, db, events
from salon.lib.auth import Viewer
from salon.lib.errors import Conflict, NotFound, Unauthorized, clipped
from salon.settings import Settings

WRONG_CREDENTIALS = "Wrong username, email or password."


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _username_taken() -> Conflict:
    return Conflict("This username is taken (usernames ignore case). Choose another.", extra={"field": "username"})


def _email_taken() -> Conflict:
    return Conflict(
        "An account with this email already exists. Sign in, or use another email.", extra={"field": "email"}
    )


# Views ------------------------------------------------------------------------------------------------------------


def token_response(user: dict[str, Any], tokens: IssuedTokens) -> TokenResponse:
    return TokenResponse(
        user=me_view(user),
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
    )


# Users ------------------------------------------------------------------------------------------------------------


async def _user_by_login(login: str) -> dict[str, Any] | None:
    key = login.strip().lower()
    column = User.email if "@" in key else User.username_key
    return await User.select().where(column == key).first()


async def create_user(
    settings: Settings,
    *,
    username: str,
    email: str | None,
    password: str | None,
    display_name: str | None = None,
    role: str = "user",
    google_subject: str | None = None,
) -> dict[str, Any]:
    """Insert a user after the password policy and uniqueness checks; 409 naming the field that is taken."""
    if password is not None:
        passwords.check_policy(password, username=username, email=email or "")
    if await User.exists().where(User.username_key == username.lower()):
        raise _username_taken()
    if email is not None and await User.exists().where(User.email == email):
        raise _email_taken()
    password_hash = None if password is None else await passwords.hash_password(settings, password)
    user = User(
        username=username,
        username_key=username.lower(),
        email=email,
        password_hash=password_hash,
        display_name=(display_name or "").strip() or username,
        role=role,
        google_subject=google_subject,
    )
    try:
        async with db.unit_of_work():
            await User.insert(user)
    except asyncpg.UniqueViolationError as exc:  # a concurrent registration won the race
        raise _email_taken() if "email" in (exc.constraint_name or "") else _username_taken() from exc
    created = await user_by_id(user.id)
    assert created is not None
    return created


async def register(settings: Settings, body: RegisterBody, client: ClientInfo) -> TokenResponse:
    await throttle.count_registration(settings, client.ip_address)
    user = await create_user(
        settings,
        username=body.username,
        email=normalise_email(body.email),
        password=body.password,
        display_name=body.display_name,
    )
    return token_response(user, await sessions.start_session(settings, user, client))


async def login(settings: Settings, body: LoginBody, client: ClientInfo) -> TokenResponse:
    """Sign in with username or email. Unknown user and wrong password get the same answer, after the same work."""
    user = await _user_by_login(body.login)
    account = user["id"] if user is not None else body.login.strip().lower()
    await throttle.start_login_attempt(settings, account, client.ip_address)
    password_hash = user["password_hash"] if user is not None else None
    if not await passwords.verify_password(settings, password_hash, body.password) or user is None:
        raise Unauthorized(WRONG_CREDENTIALS, extra={"code": "wrong_credentials"})
    if not user["is_active"]:
        raise Unauthorized(
            "This account was deactivated and can no longer sign in.", extra={"code": "account_deactivated"}
        )
    if user["totp_enabled_at"] is not None:
        if body.totp_code is None and body.recovery_code is None:
            await throttle.login_needs_second_factor(account, client.ip_address)
            raise Unauthorized(
                "This account uses two-factor authentication: send totp_code (or a recovery_code) with the password.",
                extra={"totp_required": True, "code": "totp_required"},
            )
        await twofactor.check_second_factor(settings, user, totp_code=body.totp_code, recovery_code=body.recovery_code)
    await throttle.login_succeeded(account, client.ip_address)
    if passwords.needs_rehash(settings, user["password_hash"]):
        await _upgrade_hash(settings, user["id"], body.password)
    return token_response(user, await sessions.start_session(settings, user, client))


async def _upgrade_hash(settings: Settings, user_id: uuid.UUID, password: str) -> None:
    new_hash = await passwords.hash_password(settings, password)
    async with db.unit_of_work():
        await User.update({User.password_hash: new_hash}).where(User.id == user_id)


async def refresh(settings: Settings, refresh_token: str, client: ClientInfo) -> TokenResponse:
    user_id, tokens = await sessions.rotate(settings, refresh_token, client)
    user = await user_by_id(user_id)
    assert user is not None  # the session's user is active (checked in the same transaction)
    return token_response(user, tokens)


# The user's own account -------------------------------------------------------------------------------------------


def session_view(row: dict[str, Any]) -> SessionView:
    return SessionView(
        id=str(row["id"]),
        user_agent=row["user_agent"],
        ip_address=row["ip_address"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        expires_at=row["expires_at"],
        current=row["current"],
    )


async def logout(settings: Settings, viewer: Viewer) -> None:
    """Deny-list this access token until it expires and end its session (the refresh family)."""
    await auth.revoke_access_token(viewer, expires_at=viewer.issued_at + settings.access_token_ttl_seconds)
    await sessions.end_sessions(settings, [uuid.UUID(viewer.session_id)])


async def _reauthenticate(
    settings: Settings, user: dict[str, Any], *, password: str | None, totp_code: str | None, address: str
) -> None:
    """Sensitive changes need the password again (counted like sign-in attempts), and the TOTP code when 2FA is on,
    so a stolen access token alone cannot take over or destroy an account."""
    if user["password_hash"] is not None:
        if password is None:
            raise Unauthorized("Confirm with your current password.", extra={"code": "password_required"})
        await throttle.start_login_attempt(settings, user["id"], address)
        if not await passwords.verify_password(settings, user["password_hash"], password):
            raise Unauthorized("The current password is wrong.", extra={"code": "wrong_password"})
        await throttle.login_succeeded(user["id"], address)
    if user["totp_enabled_at"] is not None:
        if totp_code is None:
            raise Unauthorized("Confirm with a code from your authenticator app.", extra={"totp_required": True})
        await twofactor.check_second_factor(settings, user, totp_code=totp_code, recovery_code=None)


async def _active_user(user_id: uuid.UUID) -> dict[str, Any]:
    user = await user_by_id(user_id)
    if user is None or not user["is_active"]:
        raise NotFound("This account no longer exists.")
    return user


async def change_password(settings: Settings, viewer: Viewer, body: PasswordChangeBody, client: ClientInfo) -> None:
    """Set a new password after checking the current one; every other session of the user is ended."""
    user = await _active_user(viewer.uuid)
    if user["password_hash"] is None:
        raise Conflict("This account signs in with Google and has no password to change.")
    await _reauthenticate(settings, user, password=body.current_password, totp_code=None, address=client.ip_address)
    passwords.check_policy(body.new_password, username=user["username"], email=user["email"] or "")
    new_hash = await passwords.hash_password(settings, body.new_password)
    async with db.unit_of_work():
        await User.update({User.password_hash: new_hash, User.updated_at: datetime.now(tz=UTC)}).where(
            User.id == viewer.uuid
        )
        await sessions.end_user_sessions(settings, viewer.uuid, keep=uuid.UUID(viewer.session_id))


async def deactivate(settings: Settings, viewer: Viewer, body: DeactivateBody, client: ClientInfo) -> None:
    """Hide the account and refuse sign-in; ``purge_deactivated_users`` deletes it after the retention period."""
    user = await _active_user(viewer.uuid)
    await _reauthenticate(settings, user, password=body.password, totp_code=body.totp_code, address=client.ip_address)
    async with db.unit_of_work():
        await User.update({User.is_active: False, User.deactivated_at: datetime.now(tz=UTC)}).where(
            User.id == viewer.uuid
        )
        await sessions.end_user_sessions(settings, viewer.uuid)

        async def refuse_all_tokens() -> None:
            await auth.revoke_all_access_tokens(viewer.id, settings.access_token_ttl_seconds)

        await db.after_commit(refuse_all_tokens)
        await events.emit("user.deactivated", UserDeactivated(user_id=viewer.id))


async def purge_deactivated(settings: Settings, *, now: datetime | None = None) -> list[str]:
    """Delete users deactivated longer ago than the retention period (their rows cascade). Returns their ids."""
    cutoff = (now or datetime.now(tz=UTC)) - timedelta(days=settings.deactivated_retention_days)
    async with db.unit_of_work():
        purged = await User.delete().where(User.is_active.eq(False) & (User.deactivated_at < cutoff)).returning(User.id)
        for row in purged:
            await events.emit("user.purged", UserPurged(user_id=str(row["id"])))
    return [str(row["id"]) for row in purged]


async def set_role(settings: Settings, admin: Viewer, username: str, role: str) -> Profile:
    """Give ``username`` a role. Their current access tokens are refused, so the next refresh carries the new role."""
    user = await User.select(User.id).where((User.username_key == username.lower()) & User.is_active.eq(True)).first()
    if user is None:
        raise NotFound(f"No user is called {clipped(username)!r}.")
    if str(user["id"]) == admin.id:
        raise Conflict("You cannot change your own role; ask another admin.")
    async with db.unit_of_work():
        rows = await (
            User.update({User.role: role, User.updated_at: datetime.now(tz=UTC)})
            .where(User.id == user["id"])
            .returning(*PROFILE_COLUMNS)
        )

        async def refuse_old_tokens() -> None:
            await auth.revoke_all_access_tokens(str(user["id"]), settings.access_token_ttl_seconds)

        await db.after_commit(refuse_old_tokens)
    # The profile as this update left it (read back afterwards, a concurrent change of role could show instead).
    return profile_view(rows[0], bio_held=await bio_held(rows[0]))
