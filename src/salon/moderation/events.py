"""Events of moderation (see docs/api.md, "Moderation").

Client-facing (on the author's stream): ``moderation.decision``. Domain (``emit``, for worker-side subscribers such as
notifications): ``moderation.decided``.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from salon.lib.events import event_type


@event_type("moderation.decision")
class ModerationNotice(msgspec.Struct, frozen=True):
    """Told to the author: what a moderator decided about their content or account, and why."""

    decision_id: str
    subject_type: str
    subject_id: str
    action: str
    note: str
    suspended_until: datetime | None = None


@event_type("moderation.decided")
class ModerationDecided(msgspec.Struct, frozen=True):
    decision_id: str
    subject_type: str
    subject_id: str
    author_id: str | None
    moderator_id: str
    action: str
    note: str
    reporter_ids: list[str] = []
    suspended_until: datetime | None = None
