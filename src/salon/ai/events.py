"""Domain events of AI conversations (``salon.lib.events.emit``), for other packages (notifications)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from salon.lib.events import event_type


@event_type("ai.conversation_forked")
class ConversationForked(msgspec.Struct, frozen=True):
    """``forker_id`` forked the conversation published as ``post_id`` (by ``post_author_id``) into
    ``conversation_id`` (private to the forker)."""

    post_id: str
    post_author_id: str
    forker_id: str
    conversation_id: str
    visibility: str
    created_at: datetime
