"""Writing and reading single posts: create (replies, quotes), delete, get (editing: ``salon.posts.editing``).

Counters change in the statement that justifies them and only when a row really changed: ``posts_count`` on the
author, ``reply_count``/``quote_count`` on the referenced post (decremented with ``GREATEST(x - 1, 0)`` on delete,
and only the first delete counts).
"""

# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from salon.feed import fanout
from salon.lib import events, idempotency, jobs
from salon.lib.auth import Viewer
from salon.lib.db import unit_of_work
from salon.lib.errors import Forbidden, NotFound, ValidationFailed, clipped
from salon.lib.ids import new_id, parse_id
from salon.media import services as media
from salon.moderation import sanctions
from salon.posts.events import PostCreated, PostDeleted, PostQuoted, PostReplied, UserMentioned
from salon.posts.hydrate import NEW_POST_VIEWER_COLUMNS, POST_COLUMNS, hydrate, load_posts, visible_to
from salon.posts.schemas import PostCreate, PostView
from salon.posts.tables import Post
from salon.posts.text import Entities, build_entities, find_mention_candidates
from salon.settings import Settings
from salon.social.services import visible_post_sql


async def _sql(query: str, *args: Any) -> list[dict[str, Any]]:
    return await Post.raw(query, *args)  # type: ignore[no-any-return]


def not_found(post_id: str) -> NotFound:
    return NotFound(f"There is no post {clipped(post_id)!r} that you can see.")


async def _live_post_row(post_id: str, viewer_id: uuid.UUID | None) -> dict[str, Any]:
    """The undeleted post ``post_id`` with the viewer columns for ``viewer_id``; 404 for a deleted or unknown post
    or a malformed id."""
    parsed = parse_id(post_id)
    row = (await load_posts([parsed], viewer_id)).get(parsed) if parsed else None
    if row is None or row["deleted_at"] is not None:
        raise not_found(post_id)
    return row


async def visible_post_row(post_id: str, viewer_id: uuid.UUID | None) -> dict[str, Any]:
    """The live post ``post_id`` if the viewer may see it; 404 otherwise (deleted, hidden, blocked or a bad id)."""
    row = await _live_post_row(post_id, viewer_id)
    if not visible_to(viewer_id, row):
        raise not_found(post_id)
    return row


async def get_post(post_id: str, viewer_id: uuid.UUID | None) -> PostView:
    parsed = parse_id(post_id)
    view = (await hydrate([parsed], viewer_id))[0] if parsed else None
    if not isinstance(view, PostView):
        raise not_found(post_id)
    return view


# Create ------------------------------------------------------------------------------------------------------------


def clean_content(content: str, settings: Settings) -> str:
    text = content.strip()
    if not text:
        raise ValidationFailed("A post needs some text: content is empty.", extra={"field": "content"})
    if len(text) > settings.post_max_length:
        raise ValidationFailed(
            f"A post can be at most {settings.post_max_length} characters; this one has {len(text)}.",
            extra={"field": "content", "max_length": settings.post_max_length},
        )
    return text


async def entities_of(content: str) -> Entities:
    """Hashtags and mentions of ``content``; ``@name`` of an unknown or inactive user stays plain text."""
    names = {name.lower() for name, _, _ in find_mention_candidates(content)}
    known: dict[str, tuple[str, str]] = {}
    if names:
        rows = await _sql(
            "SELECT id, username, username_key FROM users WHERE username_key = ANY({}::text[]) AND is_active",
            list(names),
        )
        known = {row["username_key"]: (str(row["id"]), row["username"]) for row in rows}
    return build_entities(content, known)


async def _reference(field: str, post_id: str | None, viewer_id: uuid.UUID) -> dict[str, Any] | None:
    """The post a new post replies to or quotes; 422 when it is missing, deleted, or hidden from the viewer."""
    if post_id is None:
        return None
    try:
        return await visible_post_row(post_id, viewer_id)
    except NotFound:
        raise ValidationFailed(
            f"{field} does not name a post you can see (it may not exist, be deleted, or be hidden from you).",
            extra={"field": field},
        ) from None


def _names(post_id: str | None, row_id: Any) -> bool:
    """Does the id a client sent name the post ``row_id``? (Any spelling of the UUID; not one at all is False.)"""
    parsed = parse_id(post_id) if post_id is not None else None
    return parsed is not None and str(parsed) == str(row_id)


# One statement writes a new post with all its bookkeeping and returns it in ``load_posts`` shape, so the response is
# built by ``hydrate`` from this row instead of reading the post back. The suspension rule is checked in the same
# statement (nothing is written while the author is suspended), the author's ``posts_count`` and the referenced
# post's ``reply_count``/``quote_count`` (one UPDATE: a post may reply to and quote the same post) change with it, and
# the hashtag and mention index rows are inserted with it. ``held`` is computed as ``load_posts`` computes it.
# The text never varies, so asyncpg prepares it once per connection.
_CREATE = f"""
WITH author AS (SELECT {{}}::uuid AS id),
suspension AS (SELECT {sanctions.suspended_until_sql("author.id")} AS until FROM author),
p AS (
  INSERT INTO posts (id, author, kind, content, visibility, reply_to_id, root_id, quote_of_id, media_ids, entities,
                     attachment, like_count, repost_count, reply_count, quote_count, created_at)
  SELECT {{}}::uuid, author.id, {{}}, {{}}, {{}}, {{}}::uuid, {{}}::uuid, {{}}::uuid, {{}}::uuid[], {{}}::jsonb,
         {{}}::jsonb, 0, 0, 0, 0, now()
  FROM author, suspension WHERE suspension.until IS NULL
  RETURNING *
),
u AS (
  UPDATE users SET posts_count = users.posts_count + 1 FROM p WHERE users.id = p.author
  RETURNING users.id, users.username, users.display_name, users.avatar_media_id, users.is_active
),
referenced AS (
  UPDATE posts
  SET reply_count = posts.reply_count + CASE WHEN posts.id = p.reply_to_id THEN 1 ELSE 0 END,
      quote_count = posts.quote_count + CASE WHEN posts.id = p.quote_of_id THEN 1 ELSE 0 END
  FROM p WHERE posts.id = p.reply_to_id OR posts.id = p.quote_of_id
),
hashtags AS (
  INSERT INTO post_hashtags (id, post, tag) SELECT gen_random_uuid(), p.id, tag FROM p, unnest({{}}::text[]) AS tag
),
mentions AS (
  INSERT INTO post_mentions (id, post, mentioned)
  SELECT gen_random_uuid(), p.id, mentioned FROM p, unnest({{}}::uuid[]) AS mentioned
)
SELECT suspension.until AS suspended_until, {POST_COLUMNS}, {NEW_POST_VIEWER_COLUMNS}
FROM suspension LEFT JOIN (p JOIN u ON u.id = p.author) ON TRUE
"""


async def create_post(
    viewer: Viewer,
    body: PostCreate,
    settings: Settings,
    *,
    kind: str = "post",
    attachment: msgspec.Struct | None = None,
) -> uuid.UUID:
    """Create a post (a reply with ``reply_to_id``, a quote with ``quote_of_id``). Returns its id.

    Other packages publish their own kinds through here (``kind="conversation"`` with its preview card as
    ``attachment``), so every post is counted, indexed and announced (``post.created``) the same way.
    """
    return (await create_post_row(viewer, body, settings, kind=kind, attachment=attachment))["id"]  # type: ignore[no-any-return]


async def create_post_row(
    viewer: Viewer,
    body: PostCreate,
    settings: Settings,
    *,
    kind: str = "post",
    attachment: msgspec.Struct | None = None,
) -> dict[str, Any]:
    """``create_post``, returning the new post's row as ``load_posts`` reads it: ``present_new_post`` presents it
    (once its unit of work has committed) without reading the post back."""
    content = clean_content(body.content, settings)
    author_id = viewer.uuid
    if body.media_ids or body.reply_to_id or body.quote_of_id:
        # A suspended author hears about the suspension before any complaint about their media or references, as
        # they always did; the check in _CREATE alone decides for a post without them (one round trip less).
        await sanctions.ensure_may_publish(author_id)
    media_ids = await media.usable_media(author_id, body.media_ids)
    parent = await _reference("reply_to_id", body.reply_to_id, author_id)
    quoted: dict[str, Any] | None
    if parent is not None and _names(body.quote_of_id, parent["id"]):
        quoted = parent  # a reply that quotes the post it replies to: read once
    else:
        quoted = await _reference("quote_of_id", body.quote_of_id, author_id)
    entities = await entities_of(content)
    mentioned = await _mentionable(author_id, body.visibility, entities.mentioned_ids)
    post_id = new_id()
    root_id = (parent["root_id"] or parent["id"]) if parent else None
    # Without media, _CREATE is the only write and one statement is atomic by itself: no BEGIN/COMMIT round trips.
    # Every read is done before it (``mentioned`` too), so nothing between it and the announcements can fail or be
    # cancelled. Attaching media writes more statements, which must commit or fail together with the post.
    async with unit_of_work(transaction=bool(media_ids)):
        rows = await _sql(
            _CREATE,
            author_id, post_id, kind, content, body.visibility, parent and parent["id"], root_id,
            quoted and quoted["id"], media_ids, msgspec.json.encode(entities).decode(),
            msgspec.json.encode(attachment).decode() if attachment is not None else None,
            entities.tags, [uuid.UUID(user_id) for user_id in entities.mentioned_ids],
        )  # fmt: skip
        row = rows[0]
        suspended_until = row.pop("suspended_until")
        if suspended_until is not None:
            raise sanctions.suspended(suspended_until)
        await media.attach(media_ids, "post", post_id, author_id)
        created = PostCreated(
            post_id=str(post_id),
            author_id=str(author_id),
            kind=kind,
            visibility=body.visibility,
            created_at=row["created_at"],
            reply_to_id=_str(parent and parent["id"]),
            reply_to_author_id=_str(parent and parent["author"]),
            root_id=_str(root_id),
            quote_of_id=_str(quoted and quoted["id"]),
            quote_of_author_id=_str(quoted and quoted["author"]),
            hashtags=entities.tags,
            mentioned_user_ids=entities.mentioned_ids,
        )
        # Its jobs (one per event and queue) and the author's timeline push reach Valkey after commit in ONE pipeline
        # (a round trip each before: 3 for a plain post, 4 for a reply).
        async with jobs.batch() as after:
            await _announce_created(created)
            await _emit_mentions(created.post_id, author_id, body.visibility, mentioned)
            after.call(fanout.author_push(created, settings))
    return row


def _str(value: Any) -> str | None:
    return str(value) if value else None


async def _announce_created(created: PostCreated) -> None:
    await events.emit("post.created", created)
    if created.reply_to_id and created.reply_to_author_id and created.root_id:
        replied = PostReplied(
            created.post_id,
            created.author_id,
            created.reply_to_id,
            created.reply_to_author_id,
            created.root_id,
            created.visibility,
        )
        await events.emit("post.replied", replied)
    if created.quote_of_id and created.quote_of_author_id:
        quoted = PostQuoted(
            created.post_id, created.author_id, created.quote_of_id, created.quote_of_author_id, created.visibility
        )
        await events.emit("post.quoted", quoted)


async def announce_mentions(post_id: str, author_id: uuid.UUID, visibility: str, user_ids: list[str]) -> None:
    """``user.mentioned`` for each mentioned user (not the author) who may see the post and has no block with the
    author; one query decides for all of them."""
    await _emit_mentions(post_id, author_id, visibility, await _mentionable(author_id, visibility, user_ids))


async def _emit_mentions(post_id: str, author_id: uuid.UUID, visibility: str, recipients: list[uuid.UUID]) -> None:
    for user_id in recipients:
        await events.emit("user.mentioned", UserMentioned(post_id, str(author_id), str(user_id), visibility))


async def _mentionable(author_id: uuid.UUID, visibility: str, user_ids: list[str]) -> list[uuid.UUID]:
    """Which of the mentioned ``user_ids`` (not the author) may see a post of ``author_id`` with ``visibility`` and
    have no block with the author."""
    candidates = [uuid.UUID(user_id) for user_id in user_ids if user_id != str(author_id)]
    if not candidates:
        return []
    predicate = visible_post_sql(author="post.author", visibility="post.visibility", viewer="m.id")
    rows = await _sql(
        f"""
        WITH post AS (SELECT {{}}::uuid AS author, {{}}::text AS visibility)
        SELECT m.id FROM unnest({{}}::uuid[]) AS m(id), post WHERE {predicate}
        """,
        author_id, visibility, candidates,
    )  # fmt: skip
    return [row["id"] for row in rows]


async def index_entities(post_id: uuid.UUID, entities: Entities) -> None:
    """Replace the hashtag and mention index rows of ``post_id``."""
    await _sql("DELETE FROM post_hashtags WHERE post = {}", post_id)
    await _sql("DELETE FROM post_mentions WHERE post = {}", post_id)
    if entities.tags:
        await _sql(
            "INSERT INTO post_hashtags (id, post, tag) SELECT gen_random_uuid(), {}, tag FROM unnest({}::text[]) tag",
            post_id, entities.tags,
        )  # fmt: skip
    if entities.mentioned_ids:
        await _sql(
            "INSERT INTO post_mentions (id, post, mentioned) "
            "SELECT gen_random_uuid(), {}, m FROM unnest({}::uuid[]) m",
            post_id, [uuid.UUID(user_id) for user_id in entities.mentioned_ids],
        )  # fmt: skip


# Delete ------------------------------------------------------------------------------------------------------------


async def delete_post(viewer: Viewer, post_id: str) -> None:
    """Delete a post (its author, or a moderator). Its text, entities and history are erased; the row stays as a
    tombstone so replies keep their place in the thread."""
    row = await _live_post_row(post_id, viewer.uuid)
    if row["author"] != viewer.uuid and not viewer.is_moderator:
        if visible_to(viewer.uuid, row):
            raise Forbidden("Only the author or a moderator can delete a post.")
        raise not_found(post_id)
    async with unit_of_work():
        gone = await _sql(
            """
            UPDATE posts
            SET deleted_at = now(), content = '', entities = jsonb_build_object(), media_ids = ARRAY[]::uuid[],
                attachment = NULL
            WHERE id = {} AND deleted_at IS NULL RETURNING id
            """,
            row["id"],
        )
        if not gone:  # a concurrent delete won: it did the bookkeeping
            raise not_found(post_id)
        await _sql("UPDATE users SET posts_count = GREATEST(posts_count - 1, 0) WHERE id = {}", row["author"])
        if row["reply_to_id"]:
            await _sql("UPDATE posts SET reply_count = GREATEST(reply_count - 1, 0) WHERE id = {}", row["reply_to_id"])
        if row["quote_of_id"]:
            await _sql("UPDATE posts SET quote_count = GREATEST(quote_count - 1, 0) WHERE id = {}", row["quote_of_id"])
        await index_entities(row["id"], Entities())
        await _sql("DELETE FROM post_edits WHERE post = {}", row["id"])
        deleted = PostDeleted(
            str(row["id"]), str(row["author"]), viewer.id, _str(row["reply_to_id"]), _str(row["quote_of_id"])
        )
        await events.emit("post.deleted", deleted)


async def count_fork(post_id: uuid.UUID) -> None:
    """One more fork of the published conversation ``post_id`` (in the caller's transaction, with the fork)."""
    await _sql("UPDATE posts SET fork_count = fork_count + 1 WHERE id = {}", post_id)


async def publish_post(
    viewer: Viewer, body: PostCreate, settings: Settings, idempotency_key: str | None
) -> tuple[PostView, bool]:
    """Create a post, at most once per ``Idempotency-Key``. Returns ``(post, replayed)``.

    A new post is presented from the row its create returned (``hydrate(loaded=...)``), not read back; a replay
    reads the earlier post like any GET.
    """
    created: dict[uuid.UUID, dict[str, Any]] = {}

    async def create() -> uuid.UUID:
        row = await create_post_row(viewer, body, settings)
        created[row["id"]] = row
        return row["id"]  # type: ignore[no-any-return]

    if idempotency_key is None:
        post_id, replayed = await create(), False
    else:
        post_id, replayed = await idempotency.run_once(
            "posts", viewer.id, idempotency_key, idempotency.fingerprint(msgspec.json.encode(body)), create
        )
    if post_id not in created:
        return await get_post(str(post_id), viewer.uuid), replayed
    return await present_new_post(viewer, created[post_id]), replayed


async def present_new_post(viewer: Viewer, row: dict[str, Any]) -> PostView:
    """The post its author just created (``row`` from ``create_post_row``), as a GET by them shows it.

    Call it after the create's unit of work has committed. The row carries its viewer columns already (the author's
    relation to themselves is none, and nobody has liked the new post yet: ``NEW_POST_VIEWER_COLUMNS``), so only the
    posts it replies to or quotes are read, by hydrate as for any GET (one query, none for a plain post).
    """
    views = await hydrate([row["id"]], viewer.uuid, loaded={row["id"]: row})
    view = views[0]
    if not isinstance(view, PostView):
        raise not_found(str(row["id"]))
    return view
