# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""Who may see whom: the questions other packages ask the social graph, answered in bulk for a page.

- ``relations(viewer, user_ids)``: one query giving, per user, whether the viewer follows them, is their friend, or
  whether a block stands between them (either direction). ``relation_columns`` is the same question as columns of a
  query that reads those users (or their posts) anyway, ``relation_of`` reads the answer from its rows.
- ``can_see(...)``: the visibility rule for one post, from a ``Relation``.
- ``visible_post_sql(...)``: the same rule as a SQL predicate, for list queries that must filter before paging.

Visibility levels: ``public`` (everyone), ``followers`` (the author's followers and friends), ``friends`` (friends
only), ``private`` (the author only). A block in either direction hides everything; the author always sees their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import msgspec

from salon.accounts.tables import User
from salon.lib.db import probe_sql
from salon.lib.errors import NotFound, clipped
from salon.social.schemas import UserSummary

VISIBILITIES = ("public", "followers", "friends", "private")


class Relation(msgspec.Struct, frozen=True):
    """The viewer's relation to one other user."""

    following: bool = False
    friends: bool = False
    blocked: bool = False  # a block in either direction


NO_RELATION = Relation()

USER_COLUMNS = "id, username, display_name, avatar_media_id"


def summary(row: dict[str, Any], id_column: str = "id") -> UserSummary:
    """A ``UserSummary`` from a users row (needs the ``USER_COLUMNS``), or from a row that joined the user and names
    their id ``id_column`` (a post's ``author_id``)."""
    avatar = row.get("avatar_media_id")
    return UserSummary(
        id=str(row[id_column]),
        username=row["username"],
        display_name=row["display_name"],
        avatar_media_id=str(avatar) if avatar else None,
    )


async def find_user(username: str) -> dict[str, Any]:
    """The active user called ``username`` (any case), or 404."""
    rows = await User.raw(
        f"SELECT {USER_COLUMNS}, followers_count, following_count, posts_count FROM users "
        "WHERE username_key = {} AND is_active",
        username.lower(),
    )
    if not rows:
        raise NotFound(f"There is no user called @{clipped(username)}.")
    return rows[0]


async def find_visible_user(username: str, viewer_id: uuid.UUID | None) -> dict[str, Any]:
    """Like ``find_user``, but a user with a block between them and the viewer does not exist for the viewer."""
    user = await find_user(username)
    if viewer_id is not None and await is_blocked_between(viewer_id, user["id"]):
        raise NotFound(f"There is no user called @{clipped(username)}.")
    return user


async def users_by_id(user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, UserSummary]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = await User.raw(f"SELECT {USER_COLUMNS} FROM users WHERE id = ANY({{}}::uuid[])", ids)
    return {row["id"]: summary(row) for row in rows}


async def is_blocked_between(a_id: uuid.UUID | str, b_id: uuid.UUID | str) -> bool:
    """True when either user blocks the other (profiles, messages and mentions between them are off)."""
    rows = await User.raw(
        "SELECT EXISTS (SELECT 1 FROM blocks WHERE (blocker = {} AND blocked = {}) OR (blocker = {} AND blocked = {}))"
        " AS blocked",
        *_uuids(a_id, b_id, b_id, a_id),
    )
    return bool(rows[0]["blocked"])


async def has_blocked(blocker_id: uuid.UUID | str, blocked_id: uuid.UUID | str) -> bool:
    """True when ``blocker_id`` blocks ``blocked_id`` (one direction: the blocker may still look the other up)."""
    rows = await User.raw(
        "SELECT EXISTS (SELECT 1 FROM blocks WHERE blocker = {} AND blocked = {}) AS blocked",
        *_uuids(blocker_id, blocked_id),
    )
    return bool(rows[0]["blocked"])


async def blocked_between_ids(user_id: uuid.UUID | str, others: Iterable[uuid.UUID | str]) -> set[uuid.UUID]:
    """Those of ``others`` with a block in either direction between them and ``user_id`` (one query)."""
    ids = _uuids(*others)
    if not ids:
        return set()
    rows = await User.raw(
        "SELECT blocked AS other FROM blocks WHERE blocker = {} AND blocked = ANY({}::uuid[]) "
        "UNION SELECT blocker FROM blocks WHERE blocked = {} AND blocker = ANY({}::uuid[])",
        *_uuids(user_id), ids, *_uuids(user_id), ids,
    )  # fmt: skip
    return {row["other"] for row in rows}


async def muted_user_ids(muter_id: uuid.UUID | str) -> set[uuid.UUID]:
    """Everyone ``muter_id`` muted (feeds and notifications leave them out for the muter)."""
    rows = await User.raw("SELECT muted FROM mutes WHERE muter = {}", *_uuids(muter_id))
    return {row["muted"] for row in rows}


async def relations(viewer_id: uuid.UUID | None, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Relation]:
    """The viewer's relation to each of ``user_ids`` in one query (anonymous viewers have none)."""
    ids = list(set(user_ids))
    if viewer_id is None or not ids:
        return {}
    rows = await User.raw(
        f"WITH {VIEWER_CTE} SELECT other.id, {relation_columns('other.id')} FROM unnest({{}}::uuid[]) AS other(id)",
        viewer_id,
        ids,
    )
    return {row["id"]: relation_of(row) for row in rows}


def relation_of(row: dict[str, Any]) -> Relation:
    """The ``Relation`` a row selected with ``relation_columns`` carries."""
    return Relation(row["following"], row["friends"], row["blocked"])


def can_see(viewer_id: uuid.UUID | None, author_id: uuid.UUID, visibility: str, relation: Relation) -> bool:
    """May ``viewer_id`` see a post of ``author_id`` with ``visibility``, given their ``relation``?"""
    if viewer_id is not None and viewer_id == author_id:
        return True
    if relation.blocked:
        return False
    if visibility == "public":
        return True
    if visibility == "followers":
        return relation.following or relation.friends
    if visibility == "friends":
        return relation.friends
    return False


def visible_levels(viewer_id: uuid.UUID | None, author_id: uuid.UUID, relation: Relation) -> list[str]:
    """The visibility levels of ``author_id``'s posts that the viewer may see (empty when blocked)."""
    return [level for level in VISIBILITIES if can_see(viewer_id, author_id, level, relation)]


# SQL building blocks. A query that filters by the viewer starts with ``WITH {VIEWER_CTE}`` and passes the viewer's
# id (or None for an anonymous viewer) as its first argument; predicates then refer to the viewer as ``ME``. With a
# NULL viewer every predicate below reduces to "public posts only".
VIEWER_CTE = "me AS (SELECT {}::uuid AS id)"
ME = "(SELECT id FROM me)"


def _blocks_between(a: str, b: str) -> str:
    """The condition on ``blocks`` rows: ``a`` blocks ``b`` or ``b`` blocks ``a``."""
    return f"(blocker = {a} AND blocked = {b}) OR (blocker = {b} AND blocked = {a})"


def blocked_sql(a: str, b: str) -> str:
    """SQL predicate: a block stands between users ``a`` and ``b`` (in either direction)."""
    return f"EXISTS (SELECT 1 FROM blocks WHERE {_blocks_between(a, b)})"


def relation_columns(user: str, viewer: str = ME) -> str:
    """SQL select-list columns ``following, friends, blocked, muted``: the viewer's ``Relation`` to ``user`` (read it
    with ``relation_of``) and whether the viewer muted them, so a query that reads users or their posts for a viewer
    needs no second query for the relations. Each is a ``probe_sql``: its cost follows the rows read, not the size of
    the viewer's graph."""
    return (
        f"{probe_sql('follows', f'follower = {viewer} AND followee = {user}')} AS following, "
        f"{probe_sql('friendships', f'owner = {viewer} AND friend = {user}')} AS friends, "
        f"{probe_sql('blocks', _blocks_between(viewer, user))} AS blocked, "
        f"{probe_sql('mutes', f'muter = {viewer} AND muted = {user}')} AS muted"
    )


def visible_post_sql(author: str = "p.author", visibility: str = "p.visibility", viewer: str = ME) -> str:
    """``can_see`` as a SQL predicate over a posts row, for the viewer of the ``VIEWER_CTE``."""
    follows = f"EXISTS (SELECT 1 FROM follows WHERE follower = {viewer} AND followee = {author})"
    friends = f"EXISTS (SELECT 1 FROM friendships WHERE owner = {viewer} AND friend = {author})"
    return (
        f"({author} = {viewer} OR (NOT {blocked_sql(viewer, author)} AND ({visibility} = 'public'"
        f" OR ({visibility} = 'followers' AND ({follows} OR {friends}))"
        f" OR ({visibility} = 'friends' AND {friends}))))"
    )


def not_blocked_sql(user: str, viewer: str = ME) -> str:
    """SQL predicate: no block between the viewer of the ``VIEWER_CTE`` and ``user`` (true for anonymous viewers)."""
    return f"NOT {blocked_sql(viewer, user)}"


def _uuids(*values: uuid.UUID | str) -> list[uuid.UUID]:
    return [value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)) for value in values]
