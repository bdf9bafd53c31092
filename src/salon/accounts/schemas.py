"""The accounts API contract. Request bodies reject unknown fields (``RequestBody``); every field has limits."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from salon.accounts.passwords import MAX_LENGTH as PASSWORD_MAX_LENGTH
from salon.lib.schemas import RequestBody

USERNAME_PATTERN = r"^[A-Za-z0-9_]{3,30}$"

Username = Annotated[
    str, Meta(pattern=USERNAME_PATTERN, description="3-30 letters, digits or underscores; unique ignoring case")
]
Email = Annotated[
    str,
    Meta(min_length=3, max_length=320, pattern=r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$", description="an email address"),
]
Password = Annotated[str, Meta(min_length=1, max_length=PASSWORD_MAX_LENGTH)]
DisplayName = Annotated[str, Meta(max_length=50)]
Bio = Annotated[str, Meta(max_length=500)]
Location = Annotated[str, Meta(max_length=100)]
Website = Annotated[str, Meta(max_length=200, pattern=r"^(https?://[^\s]+)?$", description="an http(s) URL or ''")]
TimeZone = Annotated[str, Meta(min_length=1, max_length=64, description="an IANA time zone name, e.g. Europe/Paris")]
TotpCode = Annotated[str, Meta(pattern=r"^\d{6}$", description="the 6-digit code from the authenticator app")]
RecoveryCodeText = Annotated[str, Meta(min_length=8, max_length=32, description="a one-time recovery code")]
OpaqueToken = Annotated[str, Meta(min_length=1, max_length=512)]
MediaId = Annotated[str, Meta(min_length=1, max_length=64, description="the id of your processed upload")]


# Requests ---------------------------------------------------------------------------------------------------------


class RegisterBody(RequestBody):
    username: Username
    email: Email
    password: Password
    display_name: DisplayName | None = None


class LoginBody(RequestBody):
    login: Annotated[str, Meta(min_length=1, max_length=320, description="username or email")]
    password: Password
    totp_code: TotpCode | None = None
    recovery_code: RecoveryCodeText | None = None


class RefreshBody(RequestBody):
    refresh_token: OpaqueToken


class GoogleBody(RequestBody):
    id_token: Annotated[str, Meta(min_length=1, max_length=8192)]
    totp_code: TotpCode | None = None


class ProfilePatch(RequestBody):
    display_name: DisplayName | UnsetType = UNSET
    bio: Bio | UnsetType = UNSET
    location: Location | UnsetType = UNSET
    website: Website | UnsetType = UNSET
    timezone: TimeZone | UnsetType = UNSET
    avatar_media_id: MediaId | UnsetType | None = UNSET  # null clears it
    cover_media_id: MediaId | UnsetType | None = UNSET  # null clears it


class PasswordChangeBody(RequestBody):
    current_password: Password
    new_password: Password


class DeactivateBody(RequestBody):
    password: Password | None = None
    totp_code: TotpCode | None = None


class RoleBody(RequestBody):
    role: Literal["user", "moderator", "admin"]


class TotpEnableBody(RequestBody):
    code: TotpCode


class TotpDisableBody(RequestBody):
    code: TotpCode | None = None
    recovery_code: RecoveryCodeText | None = None


# Responses --------------------------------------------------------------------------------------------------------


class Profile(msgspec.Struct):
    """A user as anyone may see them (no email, nothing about credentials)."""

    id: str
    username: str
    display_name: str
    bio: str
    location: str
    website: str
    role: str
    avatar_media_id: str | None
    cover_media_id: str | None
    followers_count: int
    following_count: int
    posts_count: int
    created_at: datetime
    # Set, for the owner only, while their bio is hidden pending review (others then get an empty ``bio``).
    moderation_notice: str | None = None


class Me(msgspec.Struct):
    """The signed-in user's own account."""

    id: str
    username: str
    email: str | None
    display_name: str
    bio: str
    location: str
    website: str
    role: str
    avatar_media_id: str | None
    cover_media_id: str | None
    timezone: str
    followers_count: int
    following_count: int
    posts_count: int
    created_at: datetime
    two_factor_enabled: bool
    has_password: bool
    google_linked: bool
    moderation_notice: str | None = None  # set while the bio is hidden from others pending review


class TokenResponse(msgspec.Struct):
    user: Me
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


class SessionView(msgspec.Struct):
    id: str
    user_agent: str
    ip_address: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool


class TotpSetup(msgspec.Struct):
    secret: str
    otpauth_uri: str


class RecoveryCodes(msgspec.Struct):
    recovery_codes: list[str]
