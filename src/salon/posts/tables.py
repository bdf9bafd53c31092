"""Posts and what people do with them. Ids are UUIDv7, so ``ORDER BY id`` is chronological and keyset-pageable.

Counters (``like_count`` ...) are denormalised and kept exact by the services: they change in the same transaction
as the row that justifies them, and only when that row was really inserted or deleted.
"""

from __future__ import annotations

from piccolo.columns import JSONB, UUID, Array, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table

from salon.accounts.tables import User
from salon.lib.ids import new_id


class Post(Table, tablename="posts"):
    """A post. Deleting one keeps a row with ``deleted_at`` set and the content erased, so replies stay threaded.

    ``reply_to_id``/``quote_of_id``/``root_id`` are plain UUIDs (no foreign key): the rows they name are never hard
    deleted, and a reply must not be tied to its parent's lifecycle.
    """

    id = UUID(primary_key=True, default=new_id)
    author = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    kind = Varchar(length=16, default="post")
    content = Text(default="")
    visibility = Varchar(length=16, default="public")
    reply_to_id = UUID(null=True, default=None)
    root_id = UUID(null=True, default=None)
    quote_of_id = UUID(null=True, default=None)
    media_ids = Array(base_column=UUID(), default=list)
    entities = JSONB(default="{}")
    like_count = Integer(default=0)
    repost_count = Integer(default=0)
    reply_count = Integer(default=0)
    quote_count = Integer(default=0)
    fork_count = Integer(default=0)  # kind "conversation": forks of the published snapshot
    # kind "conversation": the preview card ({title, preview, message_count}), written once at publish time
    attachment = JSONB(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    edited_at = Timestamptz(null=True, default=None)
    deleted_at = Timestamptz(null=True, default=None)


class PostEdit(Table, tablename="post_edits"):
    """A previous version of a post, written when the post is edited."""

    id = UUID(primary_key=True, default=new_id)
    post = ForeignKey(Post, on_delete=OnDelete.cascade, null=False)
    content = Text(default="")
    entities = JSONB(default="{}")
    created_at = Timestamptz()  # when this version was written (the post's creation or its previous edit)
    replaced_at = Timestamptz(default=TimestamptzNow())


class PostHashtag(Table, tablename="post_hashtags"):
    """One row per distinct hashtag (case-folded) of a live post, for "posts tagged #x" queries."""

    id = UUID(primary_key=True, default=new_id)
    post = ForeignKey(Post, on_delete=OnDelete.cascade, null=False)
    tag = Varchar(length=100)
    post_hashtags_unique_tag = Unique([post, tag])


class PostMention(Table, tablename="post_mentions"):
    """One row per user mentioned in a live post."""

    id = UUID(primary_key=True, default=new_id)
    post = ForeignKey(Post, on_delete=OnDelete.cascade, null=False)
    mentioned = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    post_mentions_unique_user = Unique([post, mentioned])


class Like(Table, tablename="likes"):
    id = UUID(primary_key=True, default=new_id)
    post = ForeignKey(Post, on_delete=OnDelete.cascade, null=False)
    liker = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    likes_unique_pair = Unique([liker, post])


class Repost(Table, tablename="reposts"):
    id = UUID(primary_key=True, default=new_id)
    post = ForeignKey(Post, on_delete=OnDelete.cascade, null=False)
    reposter = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    reposts_unique_pair = Unique([reposter, post])


class Bookmark(Table, tablename="bookmarks"):
    id = UUID(primary_key=True, default=new_id)
    post = ForeignKey(Post, on_delete=OnDelete.cascade, null=False)
    owner = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    bookmarks_unique_pair = Unique([owner, post])
