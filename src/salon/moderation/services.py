# ruff: noqa: S608 - SQL is assembled only from code constants; every value is a bind parameter.
"""Reports, the moderator queue, decisions and their audit log, and sanctions (suspensions and bans).

Subject types: ``post``, ``message``, ``user`` and ``conversation`` (reports and screening), and ``bio`` (screening of
profile bios only; the subject id is the bio's ``users.bio_version`` and the author is the user). Content subjects
(post, message, bio) can be removed; a user or a conversation cannot.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from salon.accounts import profile as accounts
from salon.accounts import sessions
from salon.accounts.events import UserDeactivated
from salon.chat import messages as chat_messages
from salon.lib import auth, events, ratelimit
from salon.lib.auth import Viewer
from salon.lib.db import after_commit, unit_of_work
from salon.lib.errors import Forbidden, NotFound, RateLimited, ValidationFailed, clipped
from salon.lib.ids import new_id, parse_id, require_id
from salon.lib.pagination import Page, decode_cursor, split_page
from salon.moderation.events import ModerationDecided, ModerationNotice
from salon.moderation.schemas import (
    DecisionCreate,
    DecisionView,
    QueueEntry,
    QueueItem,
    ReportCreate,
    ReportView,
)
from salon.moderation.tables import ModerationItem
from salon.posts import services as posts
from salon.settings import Settings
from salon.social.services import is_blocked_between

ITEM_COLUMNS = "id, source, category, confidence, reason, reporter_id, note, created_at"
DECISION_COLUMNS = (
    "id, subject_type, subject_id, author_id, moderator_id, action, note, suspended_until, item_ids, created_at"
)
REMOVES_CONTENT = ("remove", "suspend", "ban")
CONTENT_SUBJECTS = ("post", "message", "bio")
# The text under review, for the moderator (NULL once it is gone, or for a bio the user has changed since).
SUBJECT_CONTENT_SQL = """
CASE i.subject_type
  WHEN 'post' THEN (SELECT p.content FROM posts p WHERE p.id = i.subject_id)
  WHEN 'message' THEN (SELECT x.content FROM chat_messages x WHERE x.id = i.subject_id AND x.deleted_at IS NULL)
  WHEN 'bio' THEN (SELECT u.bio FROM users u WHERE u.id = i.author_id AND u.bio_version = i.subject_id)
END
"""


async def _sql(query: str, *args: Any) -> list[dict[str, Any]]:
    return await ModerationItem.raw(query, *args)  # type: ignore[no-any-return]


# Reports -----------------------------------------------------------------------------------------------------------


async def report(viewer: Viewer, body: ReportCreate, settings: Settings) -> ReportView:
    """File a report about something the reporter can see. Rate-limited per reporter."""
    retry_after = await ratelimit.take(
        [f"moderation:reports:{viewer.id}"], limits=[settings.reports_max_per_hour], window_seconds=3600
    )
    if retry_after is not None:
        raise RateLimited(
            f"You can file at most {settings.reports_max_per_hour} reports an hour. Try again later.",
            retry_after=retry_after,
        )
    subject_id, author_id = await _reportable(viewer, body.subject_type, body.subject_id)
    async with unit_of_work():
        rows = await _sql(
            "INSERT INTO moderation_items (id, subject_type, subject_id, author_id, source, category, reason, "
            "reporter_id, note, state, created_at) VALUES ({}, {}, {}, {}, 'report', {}, '', {}, {}, 'open', now()) "
            "RETURNING id, subject_type, subject_id, category, note, state, created_at, resolved_at, decision_id",
            new_id(), body.subject_type, subject_id, author_id, body.reason, viewer.uuid, body.note.strip(),
        )  # fmt: skip
    return _report_view(rows[0], None)


async def _reportable(viewer: Viewer, subject_type: str, subject_id: str) -> tuple[uuid.UUID, uuid.UUID | None]:
    """The subject's id and author, when the reporter can see it; 404 otherwise."""
    missing = NotFound(f"There is no {subject_type} {clipped(subject_id)!r} that you can see.")
    parsed = require_id(subject_id, lambda: missing)
    if subject_type == "post":
        row = await posts.visible_post_row(subject_id, viewer.uuid)
        author = row["author"]
    elif subject_type == "user":
        rows = await _sql("SELECT id FROM users WHERE id = {} AND is_active", parsed)
        if not rows or await is_blocked_between(viewer.uuid, parsed):
            raise missing
        author = parsed
    elif subject_type == "message":
        rows = await _sql(
            "SELECT m.sender FROM chat_messages m JOIN chat_members cm ON cm.chat = m.chat AND cm.member = {} "
            "WHERE m.id = {} AND m.deleted_at IS NULL AND m.seq > cm.joined_seq",
            viewer.uuid, parsed,
        )  # fmt: skip
        if not rows:
            raise missing
        author = rows[0]["sender"]
    else:  # conversation: a chat the reporter is a member of
        rows = await _sql("SELECT 1 FROM chat_members WHERE chat = {} AND member = {}", parsed, viewer.uuid)
        if not rows:
            raise missing
        author = None
    if author == viewer.uuid:
        raise ValidationFailed("You cannot report your own content or account.", extra={"field": "subject_id"})
    return parsed, author


async def my_reports(viewer: Viewer, cursor: str | None, limit: int) -> Page[ReportView]:
    """The reporter's reports, newest first, with the outcome once decided."""
    after = decode_cursor(cursor, uuid.UUID)
    rows = await _sql(
        "SELECT i.id, i.subject_type, i.subject_id, i.category, i.note, i.state, i.created_at, i.resolved_at, "
        "d.action FROM moderation_items i LEFT JOIN moderation_decisions d ON d.id = i.decision_id "
        "WHERE i.reporter_id = {} AND ({}::uuid IS NULL OR i.id < {}) ORDER BY i.id DESC LIMIT {}",
        viewer.uuid, after and after[0], after and after[0], limit + 1,
    )  # fmt: skip
    kept, next_cursor = split_page(rows, limit, lambda row: (str(row["id"]),))
    return Page(items=[_report_view(row, row["action"]) for row in kept], next_cursor=next_cursor)


def _report_view(row: dict[str, Any], outcome: str | None) -> ReportView:
    return ReportView(
        id=str(row["id"]),
        subject_type=row["subject_type"],
        subject_id=str(row["subject_id"]),
        reason=row["category"],
        note=row["note"],
        status=row["state"],
        outcome=outcome,  # type: ignore[arg-type]
        created_at=row["created_at"],
        resolved_at=row["resolved_at"],
    )


# The queue ---------------------------------------------------------------------------------------------------------


async def queue(cursor: str | None, limit: int) -> Page[QueueEntry]:
    """Open items grouped by subject, the subject flagged longest ago first (three queries per page)."""
    after = decode_cursor(cursor, uuid.UUID)
    subjects = await _sql(
        "SELECT * FROM (SELECT DISTINCT ON (subject_type, subject_id) subject_type, subject_id, id AS first_id "
        "  FROM moderation_items WHERE state = 'open' ORDER BY subject_type, subject_id, id) AS firsts "
        "WHERE {}::uuid IS NULL OR first_id > {} ORDER BY first_id LIMIT {}",
        after and after[0], after and after[0], limit + 1,
    )  # fmt: skip
    kept, next_cursor = split_page(subjects, limit, lambda row: (str(row["first_id"]),))
    keys = [f"{row['subject_type']}:{row['subject_id']}" for row in kept]
    items = await _sql(
        f"SELECT {ITEM_COLUMNS}, subject_type, subject_id, author_id, "
        "EXISTS (SELECT 1 FROM moderation_holds h WHERE h.subject_type = i.subject_type "
        "  AND h.subject_id = i.subject_id) AS hidden, "
        f"{SUBJECT_CONTENT_SQL} AS content "
        "FROM moderation_items i WHERE state = 'open' AND subject_type || ':' || subject_id::text = ANY({}::text[]) "
        "ORDER BY id",
        keys,
    )
    grouped: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
    for item in items:
        grouped[f"{item['subject_type']}:{item['subject_id']}"].append(item)
    entries = [_entry(rows) for rows in grouped.values() if rows]
    return Page(items=entries, next_cursor=next_cursor)


def _entry(rows: list[dict[str, Any]]) -> QueueEntry:
    first = rows[0]
    return QueueEntry(
        subject_type=first["subject_type"],
        subject_id=str(first["subject_id"]),
        author_id=str(first["author_id"]) if first["author_id"] else None,
        hidden=first["hidden"],
        content=first["content"],
        items=[
            QueueItem(
                id=str(row["id"]),
                source=row["source"],
                category=row["category"],
                confidence=row["confidence"],
                reason=row["reason"],
                reporter_id=str(row["reporter_id"]) if row["reporter_id"] else None,
                note=row["note"],
                created_at=row["created_at"],
            )
            for row in rows
        ],
    )


# Decisions ---------------------------------------------------------------------------------------------------------


async def decide(moderator: Viewer, item_id: str, body: DecisionCreate, settings: Settings) -> DecisionView:
    """Resolve every open item of the item's subject with one action, log it, apply it, and tell the author."""
    parsed = parse_id(item_id)
    items = await _sql("SELECT subject_type, subject_id, author_id, state FROM moderation_items WHERE id = {}", parsed)
    if parsed is None or not items:
        raise NotFound(f"There is no moderation item {clipped(item_id)!r}.")
    subject = items[0]
    if subject["state"] != "open":
        raise ValidationFailed("This item was already decided. See GET /api/v1/moderation/audit.")
    _check_applicable(body.action, subject, moderator)
    if body.days is not None and body.action != "suspend":
        raise ValidationFailed(
            f"days is the length of a suspension; a {body.action} has none. Leave days out, or choose suspend.",
            extra={"field": "days"},
        )
    suspended_until = None
    if body.action == "suspend":
        suspended_until = datetime.now(tz=UTC) + timedelta(days=body.days or settings.suspension_default_days)
    decision_id = new_id()
    async with unit_of_work():
        resolved = await _sql(
            "UPDATE moderation_items SET state = 'resolved', resolved_at = now(), decision_id = {} "
            "WHERE subject_type = {} AND subject_id = {} AND state = 'open' RETURNING id, reporter_id",
            decision_id, subject["subject_type"], subject["subject_id"],
        )  # fmt: skip
        if not resolved:
            raise ValidationFailed("This item was already decided. See GET /api/v1/moderation/audit.")
        rows = await _sql(
            f"INSERT INTO moderation_decisions ({DECISION_COLUMNS}) VALUES ({{}}, {{}}, {{}}, {{}}, {{}}, {{}}, {{}}, "
            f"{{}}, {{}}, now()) RETURNING {DECISION_COLUMNS}",
            decision_id, subject["subject_type"], subject["subject_id"], subject["author_id"], moderator.uuid,
            body.action, body.note.strip(), suspended_until, ",".join(str(row["id"]) for row in resolved),
        )  # fmt: skip
        decision = _decision_view(rows[0])
        await _apply(moderator, decision, settings)
        reporters = sorted({str(row["reporter_id"]) for row in resolved if row["reporter_id"]})
        await _announce(decision, reporters)
    return decision


def _check_applicable(action: str, subject: dict[str, Any], moderator: Viewer) -> None:
    if action == "remove" and subject["subject_type"] not in CONTENT_SUBJECTS:
        raise ValidationFailed(
            f"'remove' deletes content (a post, message or bio); for a {subject['subject_type']} use approve, warn, "
            "suspend or ban.",
            extra={"field": "action"},
        )
    if action in ("warn", "suspend", "ban") and subject["author_id"] is None:
        raise ValidationFailed(f"This {subject['subject_type']} has no single author to {action}.")
    if subject["author_id"] == moderator.uuid:
        raise Forbidden("You cannot decide about your own content or account; leave it to another moderator.")


async def _apply(moderator: Viewer, decision: DecisionView, settings: Settings) -> None:
    subject_id = uuid.UUID(decision.subject_id)
    await _sql(
        "DELETE FROM moderation_holds WHERE subject_type = {} AND subject_id = {}", decision.subject_type, subject_id
    )
    if decision.action in REMOVES_CONTENT:
        await _remove_content(moderator, decision)
    if decision.action in ("suspend", "ban") and decision.author_id:
        await _sanction(uuid.UUID(decision.author_id), decision, settings)


async def _remove_content(moderator: Viewer, decision: DecisionView) -> None:
    """Delete the decision's content: a post, a chat message (deleted for everyone), or a bio (cleared: the user and
    the rest of their profile stay). Content its author already deleted or changed is left as it is."""
    subject_id = uuid.UUID(decision.subject_id)
    if decision.subject_type == "post":
        with contextlib.suppress(NotFound):  # the author deleted it meanwhile
            await posts.delete_post(moderator, decision.subject_id)
    elif decision.subject_type == "message":
        await chat_messages.remove_for_moderation(subject_id)
    elif decision.subject_type == "bio" and decision.author_id:
        await accounts.remove_bio(uuid.UUID(decision.author_id), subject_id)


async def _sanction(user_id: uuid.UUID, decision: DecisionView, settings: Settings) -> None:
    await _sql(
        "INSERT INTO moderation_sanctions (id, user_id, kind, ends_at, decision_id, created_at) "
        "VALUES ({}, {}, {}, {}, {}, now())",
        new_id(), user_id, decision.action, decision.suspended_until, uuid.UUID(decision.id),
    )  # fmt: skip
    if decision.action != "ban":
        return
    await _sql("UPDATE users SET is_active = false, updated_at = now() WHERE id = {}", user_id)
    await sessions.end_user_sessions(settings, user_id)

    async def refuse_all_tokens() -> None:
        await auth.revoke_all_access_tokens(str(user_id), settings.access_token_ttl_seconds)

    await after_commit(refuse_all_tokens)
    await events.emit("user.deactivated", UserDeactivated(user_id=str(user_id)))


async def _announce(decision: DecisionView, reporter_ids: list[str]) -> None:
    if decision.author_id:
        notice = ModerationNotice(
            decision.id, decision.subject_type, decision.subject_id, decision.action, decision.note,
            decision.suspended_until,
        )  # fmt: skip
        await events.publish("moderation.decision", notice, [decision.author_id])
    decided = ModerationDecided(
        decision.id, decision.subject_type, decision.subject_id, decision.author_id, decision.moderator_id,
        decision.action, decision.note, reporter_ids, decision.suspended_until,
    )  # fmt: skip
    await events.emit("moderation.decided", decided)


def _decision_view(row: dict[str, Any]) -> DecisionView:
    return DecisionView(
        id=str(row["id"]),
        subject_type=row["subject_type"],
        subject_id=str(row["subject_id"]),
        author_id=str(row["author_id"]) if row["author_id"] else None,
        moderator_id=str(row["moderator_id"]),
        action=row["action"],
        note=row["note"],
        suspended_until=row["suspended_until"],
        item_ids=[item for item in row["item_ids"].split(",") if item],
        created_at=row["created_at"],
    )


async def audit_log(cursor: str | None, limit: int) -> Page[DecisionView]:
    """Every decision, newest first."""
    after = decode_cursor(cursor, uuid.UUID)
    rows = await _sql(
        f"SELECT {DECISION_COLUMNS} FROM moderation_decisions WHERE {{}}::uuid IS NULL OR id < {{}} "
        "ORDER BY id DESC LIMIT {}",
        after and after[0], after and after[0], limit + 1,
    )  # fmt: skip
    kept, next_cursor = split_page(rows, limit, lambda row: (str(row["id"]),))
    return Page(items=[_decision_view(row) for row in kept], next_cursor=next_cursor)
