"""Uploaded images and what they are attached to.

A media row is private to its ``owner`` until a row in ``media_attachments`` ties it to something others can see (a
post, a profile's avatar or cover); from then on it is visible exactly to who may see one of those. Attachments name
their subject by type and id, without a foreign key, so media does not depend on the packages that use it.
"""

from __future__ import annotations

from piccolo.columns import UUID, BigInt, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table

from salon.accounts.tables import User
from salon.lib.ids import new_id


class Media(Table, tablename="media"):
    """One uploaded image. ``status``: processing -> ready | failed. ``content_type`` is what the bytes are (sniffed),
    never what the client claimed. Storage keys are derived from the id (``salon.media.storage.keys``)."""

    id = UUID(primary_key=True, default=new_id)
    owner = ForeignKey(User, on_delete=OnDelete.cascade, null=False, index=True)
    status = Varchar(length=16, default="processing")
    content_type = Varchar(length=32)
    byte_size = BigInt(default=0)
    width = Integer(default=0)
    height = Integer(default=0)
    alt = Text(default="")
    failure_reason = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    processed_at = Timestamptz(null=True, default=None)
    attached_at = Timestamptz(null=True, default=None)  # first attachment; NULL rows older than a day are collected


class MediaAttachment(Table, tablename="media_attachments"):
    """``media`` is shown on ``subject_type`` (post | avatar | cover) ``subject_id`` (a post id or a user id)."""

    id = UUID(primary_key=True, default=new_id)
    media = ForeignKey(Media, on_delete=OnDelete.cascade, null=False, index=True)
    subject_type = Varchar(length=16)
    subject_id = UUID()
    created_at = Timestamptz(default=TimestamptzNow())
    media_attachments_unique_subject = Unique([media, subject_type, subject_id])
