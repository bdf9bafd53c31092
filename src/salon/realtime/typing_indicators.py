"""Typing indicators, the primitive the chat package calls. Ephemeral: delivered live, never stored in the log.

Clients call the chat endpoint every few seconds while the user types; this forwards at most one ``typing`` event per
user and conversation per ``THROTTLE_MS`` (a stop is always forwarded). The caller decides who the recipients are
(the other members of the conversation) and has already checked that the user belongs to it.
"""

from __future__ import annotations

from collections.abc import Iterable

from salon.lib import events
from salon.lib import valkey as valkey_client
from salon.realtime.events import Typing

THROTTLE_MS = 3000


async def send_typing(user_id: str, conversation_id: str, recipients: Iterable[str], *, typing: bool = True) -> bool:
    """Tell ``recipients`` that ``user_id`` is typing (or stopped) in ``conversation_id``. False when throttled."""
    others = [recipient for recipient in recipients if recipient != user_id]
    throttle_key = f"typing:throttle:{conversation_id}:{user_id}"
    client = valkey_client.client()
    if typing:
        if not await client.set(throttle_key, "1", px=THROTTLE_MS, nx=True):
            return False
    else:
        await client.delete(throttle_key)
    await events.publish("typing", Typing(conversation_id=conversation_id, user_id=user_id, typing=typing), others)
    return True
