from __future__ import annotations

from piccolo.columns import UUID, BigInt, Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from salon.lib.ids import new_id


class User(Table, tablename="users"):
    """A person on salon. ``username_key`` is the lower-cased username (unique case-insensitively)."""

    id = UUID(primary_key=True, default=new_id)
    username = Varchar(length=30)
    username_key = Varchar(length=30, unique=True)
    email = Varchar(length=320, unique=True, null=True, default=None)
    password_hash = Text(null=True, default=None, secret=True)
    display_name = Varchar(length=50, default="")
    bio = Text(default="")
    # A fresh id for each new non-empty bio (NULL while empty): moderation screens and holds a bio by this version,
    # so a hold belongs to the text it was about and an edited bio is screened anew.
    bio_version = UUID(null=True, default=None)
    location = Varchar(length=100, default="")
    website = Varchar(length=200, default="")
    role = Varchar(length=16, default="user")
    avatar_media_id = UUID(null=True, default=None)
    cover_media_id = UUID(null=True, default=None)
    timezone = Varchar(length=64, default="UTC")
    followers_count = Integer(default=0, index=True)  # the feed finds followed authors above the fan-out threshold
    following_count = Integer(default=0)
    posts_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    deactivated_at = Timestamptz(null=True, default=None, index=True)
    is_active = Boolean(default=True)
    # Two-factor: the secret is stored once set up; 2FA is on once ``totp_enabled_at`` is set. ``totp_last_step`` is
    # the last accepted 30-second time step, so a code is never accepted twice.
    totp_secret = Text(null=True, default=None, secret=True)
    totp_enabled_at = Timestamptz(null=True, default=None)
    totp_last_step = BigInt(null=True, default=None)
    # Sign in with Google: the stable ``sub`` claim of the linked Google account.
    google_subject = Varchar(length=255, unique=True, null=True, default=None)


class AuthSession(Table, tablename="auth_sessions"):
    """A signed-in device. One session is one refresh-token family: ending it ends every token of the family."""

    id = UUID(primary_key=True, default=new_id)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    user_agent = Varchar(length=300, default="")
    ip_address = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class RefreshToken(Table, tablename="auth_refresh_tokens"):
    """One opaque refresh token, stored as its SHA-256. ``used_at`` is set when it is rotated; presenting a used
    token again revokes its session (theft detection)."""

    id = UUID(primary_key=True, default=new_id)
    session = ForeignKey(AuthSession, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())
    used_at = Timestamptz(null=True, default=None)


class RecoveryCode(Table, tablename="auth_recovery_codes"):
    """A one-time two-factor recovery code, stored as its SHA-256."""

    id = UUID(primary_key=True, default=new_id)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    code_hash = Varchar(length=64, secret=True)
    used_at = Timestamptz(null=True, default=None)
