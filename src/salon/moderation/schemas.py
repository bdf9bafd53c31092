"""The moderation API contract."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from salon.lib.schemas import RequestBody

Category = Literal["spam", "hate", "harassment", "violence", "sexual", "self_harm", "other"]
SubjectType = Literal["post", "message", "user", "conversation"]
Action = Literal["approve", "remove", "warn", "suspend", "ban"]
Note = Annotated[str, Meta(max_length=2000)]


class Verdict(msgspec.Struct, frozen=True):
    """The model's structured answer when screening content."""

    is_safe: bool
    category: Category
    confidence: Annotated[float, Meta(ge=0.0, le=1.0)]
    reason: str = ""


class ReportCreate(RequestBody):
    subject_type: SubjectType
    subject_id: Annotated[str, Meta(max_length=64)]
    reason: Category
    note: Note = ""


class ReportView(msgspec.Struct, frozen=True, kw_only=True):
    """A report as its reporter sees it: ``status`` open until a moderator decides; then ``outcome`` is the action."""

    id: str
    subject_type: str
    subject_id: str
    reason: str
    note: str
    status: Literal["open", "resolved"]
    outcome: Action | None
    created_at: datetime
    resolved_at: datetime | None


class QueueItem(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    source: Literal["ai", "local", "report", "provider_failure"]
    category: str
    confidence: float | None
    reason: str
    reporter_id: str | None
    note: str
    created_at: datetime


class QueueEntry(msgspec.Struct, frozen=True, kw_only=True):
    """Everything open about one subject: decide on any of its ``items`` to resolve them all."""

    subject_type: str
    subject_id: str
    author_id: str | None
    hidden: bool
    content: str | None  # the text under review (posts), for the moderator
    items: list[QueueItem]


class DecisionCreate(RequestBody):
    action: Action
    note: Note = ""
    days: Annotated[int, Meta(ge=1, le=3650)] | None = None  # suspension length (default SALON_SUSPENSION_DEFAULT_DAYS)


class DecisionView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    subject_type: str
    subject_id: str
    author_id: str | None
    moderator_id: str
    action: Action
    note: str
    suspended_until: datetime | None
    item_ids: list[str]
    created_at: datetime
