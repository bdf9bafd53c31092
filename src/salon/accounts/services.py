"""Accounts: registration, sign-in, the user's own account and public profiles. Only services touch tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
import msgspec

from salon.accounts import passwords, sessions, throttle, twofactor
from salon.accounts.events import UserBioChanged, UserDeactivated, UserPurged
from salon.accounts.schemas import (
    DeactivateBody,
    LoginBody,
    Me,
    PasswordChangeBody,
    Profile,
    ProfilePatch,
    RegisterBody,
    SessionView,
    TokenResponse,
)
from salon.accounts.sessions import ClientInfo, IssuedTokens
from salon.accounts.tables import User
from salon.lib import auth, db, events
from salon.lib.auth import Viewer
from salon.lib.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from salon.lib.ids import new_id
from salon.media import services as media
from salon.moderation import holds
from salon.settings import Settings

WRONG_CREDENTIALS = "Wrong username, email or password."
PROFILE_IMAGES = {"avatar_media_id": "avatar", "cover_media_id": "cover"}  # patch field -> media subject type
PROFILE_COLUMNS = (
    User.id,
    User.username,
    User.display_name,
    User.bio,
    User.bio_version,
    User.location,
    User.website,
    User.role,
    User.avatar_media_id,
    User.cover_media_id,
    User.followers_count,
    User.following_count,
    User.posts_count,
    User.created_at,
)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _username_taken() -> Conflict:
    return Conflict("This username is taken (usernames ignore case). Choose another.", extra={"field": "username"})


def _email_taken() -> Conflict:
    return Conflict(
        "An account with this email already exists. Sign in, or use another email.", extra={"field": "email"}
    )


# Views ------------------------------------------------------------------------------------------------------------


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def me_view(row: dict[str, Any], *, bio_held: bool = False) -> Me:
    """The owner's own view: a bio hidden pending review is shown to them with ``moderation_notice``."""
    return Me(
        id=str(row["id"]),
        username=row["username"],
        email=row["email"],
        display_name=row["display_name"],
        bio=row["bio"],
        location=row["location"],
        website=row["website"],
        role=row["role"],
        avatar_media_id=_str_or_none(row["avatar_media_id"]),
        cover_media_id=_str_or_none(row["cover_media_id"]),
        timezone=row["timezone"],
        followers_count=row["followers_count"],
        following_count=row["following_count"],
        posts_count=row["posts_count"],
        created_at=row["created_at"],
        two_factor_enabled=row["totp_enabled_at"] is not None,
        has_password=row["password_hash"] is not None,
        google_linked=row["google_subject"] is not None,
        moderation_notice=holds.HIDDEN_NOTICE if bio_held else None,
    )


def profile_view(row: dict[str, Any], *, viewer_id: uuid.UUID | None = None, bio_held: bool = False) -> Profile:
    """A profile as ``viewer_id`` sees it: a bio hidden pending review is empty for everyone but its owner, who sees
    it with ``moderation_notice``."""
    own = viewer_id is not None and viewer_id == row["id"]
    return Profile(
        id=str(row["id"]),
        username=row["username"],
        display_name=row["display_name"],
        bio="" if bio_held and not own else row["bio"],
        location=row["location"],
        website=row["website"],
        role=row["role"],
        avatar_media_id=_str_or_none(row["avatar_media_id"]),
        cover_media_id=_str_or_none(row["cover_media_id"]),
        followers_count=row["followers_count"],
        following_count=row["following_count"],
        posts_count=row["posts_count"],
        created_at=row["created_at"],
        moderation_notice=holds.HIDDEN_NOTICE if bio_held and own else None,
    )


async def bio_held(row: dict[str, Any]) -> bool:
    """Is the row's current bio hidden pending review? (One query, only when there is a bio.)"""
    version = row["bio_version"]
    return version is not None and bool(await holds.held_ids("bio", [version]))


def token_response(user: dict[str, Any], tokens: IssuedTokens) -> TokenResponse:
    return TokenResponse(
        user=me_view(user),
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
    )


# Users ------------------------------------------------------------------------------------------------------------


async def _user_by_id(user_id: uuid.UUID) -> dict[str, Any] | None:
    return await User.select().where(User.id == user_id).first()


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
    created = await _user_by_id(user.id)
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
    user = await _user_by_id(user_id)
    assert user is not None  # the session's user is active (checked in the same transaction)
    return token_response(user, tokens)


# The user's own account -------------------------------------------------------------------------------------------


async def get_me(user_id: uuid.UUID) -> Me:
    user = await _user_by_id(user_id)
    if user is None or not user["is_active"]:
        raise NotFound("This account no longer exists.")
    return me_view(user, bio_held=await bio_held(user))


def _check_timezone(name: str) -> None:
    """422 unless ``name`` is an IANA time zone this server knows (streaks and local days are computed in it)."""
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            f"{name!r} is not a time zone name. Use an IANA name such as 'Europe/Paris', 'America/New_York' or 'UTC'.",
            extra={"field": "timezone"},
        ) from None


async def update_me(user_id: uuid.UUID, patch: ProfilePatch) -> Me:
    if patch.timezone is not msgspec.UNSET:
        _check_timezone(patch.timezone)
    given = {name: value for name, value in msgspec.structs.asdict(patch).items() if value is not msgspec.UNSET}
    images = {name: await _profile_image(user_id, name, given.pop(name)) for name in PROFILE_IMAGES if name in given}
    changes: dict[Any, Any] = {getattr(User, name): value.strip() for name, value in given.items()}
    changes.update({getattr(User, name): media_id for name, media_id in images.items()})
    if changes:
        changes[User.updated_at] = datetime.now(tz=UTC)
        async with db.unit_of_work():
            if User.bio in changes:
                await _version_bio(user_id, changes)
            await User.update(changes).where((User.id == user_id) & (User.is_active.eq(True)))
            for name, media_id in images.items():
                if media_id is not None:
                    await media.attach([media_id], PROFILE_IMAGES[name], user_id, user_id)
    return await get_me(user_id)


async def _version_bio(user_id: uuid.UUID, changes: dict[Any, Any]) -> None:
    """When the patch really changes the bio, give the new text a new ``bio_version`` (NULL when empty) and, for a
    non-empty one, emit ``user.bio_changed`` so moderation screens it. An unchanged bio keeps its version (and any
    hold on it)."""
    current = await User.select(User.bio).where(User.id == user_id).first()
    bio = changes[User.bio]
    if current is None or current["bio"] == bio:
        return
    version = new_id() if bio else None
    changes[User.bio_version] = version
    if version is not None:
        await events.emit("user.bio_changed", UserBioChanged(user_id=str(user_id), bio_version=str(version)))


async def remove_bio(user_id: uuid.UUID, bio_version: uuid.UUID) -> bool:
    """Clear the user's bio if ``bio_version`` is still the current one (a moderator removed it). False when the
    user has changed their bio since: there is nothing left to remove."""
    cleared = await User.raw(
        "UPDATE users SET bio = '', bio_version = NULL, updated_at = now() WHERE id = {} AND bio_version = {} "
        "RETURNING id",
        user_id, bio_version,
    )  # fmt: skip
    return bool(cleared)


async def _profile_image(user_id: uuid.UUID, field: str, media_id: str | None) -> uuid.UUID | None:
    """The parsed id of an avatar or cover (the user's own processed upload; 422 otherwise), or None to clear it."""
    if media_id is None:
        return None
    return (await media.usable_media(user_id, [media_id], field))[0]


async def public_profile(username: str, viewer_id: uuid.UUID | None = None) -> Profile:
    """The profile of ``username`` as ``viewer_id`` (None: anonymous) sees it."""
    row = (
        await User.select(*PROFILE_COLUMNS)
        .where((User.username_key == username.lower()) & (User.is_active.eq(True)))
        .first()
    )
    if row is None:
        raise NotFound(f"No user is called {username!r}.")
    return profile_view(row, viewer_id=viewer_id, bio_held=await bio_held(row))


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
    user = await _user_by_id(user_id)
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
        raise NotFound(f"No user is called {username!r}.")
    if str(user["id"]) == admin.id:
        raise Conflict("You cannot change your own role; ask another admin.")
    async with db.unit_of_work():
        await User.update({User.role: role, User.updated_at: datetime.now(tz=UTC)}).where(User.id == user["id"])

        async def refuse_old_tokens() -> None:
            await auth.revoke_all_access_tokens(str(user["id"]), settings.access_token_ttl_seconds)

        await db.after_commit(refuse_old_tokens)
    return await public_profile(username)
