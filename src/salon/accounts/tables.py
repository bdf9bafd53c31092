from __future__ import annotations

from piccolo.columns import UUID, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from salon.lib.ids import new_id


class User(Table, tablename="users"):
    """A person on salon. ``username_key`` is the lower-cased username (unique case-insensitively)."""

    id = UUID(primary_key=True, default=new_id)
    username = Varchar(length=30)
    username_key = Varchar(length=30, unique=True)
    email = Varchar(length=320, unique=True, null=True, default=None)
    password_hash = Text(null=True, default=None)
    display_name = Varchar(length=50, default="")
    bio = Text(default="")
    location = Varchar(length=100, default="")
    website = Varchar(length=200, default="")
    role = Varchar(length=16, default="user")
    avatar_media_id = UUID(null=True, default=None)
    cover_media_id = UUID(null=True, default=None)
    timezone = Varchar(length=64, default="UTC")
    followers_count = Integer(default=0)
    following_count = Integer(default=0)
    posts_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    deactivated_at = Timestamptz(null=True, default=None)
    is_active = Boolean(default=True)
