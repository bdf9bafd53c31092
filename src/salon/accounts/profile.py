"""Profiles: how a user looks (the owner's own view, the public profile others see) and editing one's own profile
(with the bio versioning that moderation screens)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from salon.accounts.events import UserBioChanged
from salon.accounts.schemas import Me, Profile, ProfilePatch
from salon.accounts.tables import User
from salon.lib import db, events
from salon.lib.errors import NotFound, ValidationFailed, clipped
from salon.lib.ids import new_id
from salon.media import services as media
from salon.moderation import holds

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


async def user_by_id(user_id: uuid.UUID) -> dict[str, Any] | None:
    return await User.select().where(User.id == user_id).first()


async def get_me(user_id: uuid.UUID) -> Me:
    user = await user_by_id(user_id)
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
        raise NotFound(f"No user is called {clipped(username)!r}.")
    return profile_view(row, viewer_id=viewer_id, bio_held=await bio_held(row))
