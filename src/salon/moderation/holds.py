# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""The seam other packages adopt to keep content hidden pending review away from everyone but its author.

- ``held_sql(subject_type, subject)``: a boolean SQL expression to select with the rows being read (no extra query);
  ``held_flag_sql`` is the same for a page of rows being hydrated, as ``salon.posts.hydrate`` does: a held post is
  ``unavailable`` to others and carries ``HIDDEN_NOTICE`` for its author.
- ``held_ids(subject_type, ids)``: the same as one query, for code that already has its rows.
- ``not_held_sql(subject_type, subject, author, viewer)``: the same as a SQL predicate, for list queries that filter
  before paging.

This module depends on nothing but its table (and `salon.lib`), so any package may import it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from salon.lib.db import probe_sql
from salon.moderation.tables import ModerationHold

HIDDEN_NOTICE = "Hidden from others while a moderator reviews it. You can still see it."


async def held_ids(subject_type: str, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    wanted = list(set(ids))
    if not wanted:
        return set()
    rows = await ModerationHold.raw(
        "SELECT subject_id FROM moderation_holds WHERE subject_type = {} AND subject_id = ANY({}::uuid[])",
        subject_type, wanted,
    )  # fmt: skip
    return {row["subject_id"] for row in rows}


def held_sql(subject_type: str, subject: str) -> str:
    """SQL expression: the subject is on hold. ``subject_type`` is a code constant. An ``EXISTS``, which the planner
    may turn into an anti-join or a hash: for filters over many rows (unread counts, lists)."""
    holds = f"SELECT 1 FROM moderation_holds h WHERE h.subject_type = '{subject_type}' AND h.subject_id = {subject}"
    return f"EXISTS ({holds})"


def held_flag_sql(subject_type: str, subject: str) -> str:
    """``held_sql`` for a column of a page of rows being hydrated: one index probe per row (``probe_sql``), so the
    page's cost does not grow with the number of holds (a hash of them all would be built for each page)."""
    return probe_sql("moderation_holds h", f"h.subject_type = '{subject_type}' AND h.subject_id = {subject}")


def not_held_sql(subject_type: str, subject: str, author: str, viewer: str) -> str:
    """SQL predicate: the subject is not on hold, or the viewer is its author. ``subject_type`` is a code constant."""
    return f"({author} = {viewer} OR NOT {held_sql(subject_type, subject)})"
