"""Chat in the worker. Chat runs no jobs of its own; importing its events here registers their schemas in the worker
(``salon.domains.load_jobs`` imports every package's ``jobs``), so the worker can decode ``chat.message_created``
for whichever package subscribes to it (notifications)."""

from __future__ import annotations

from salon.chat import events as chat_events

__all__ = ["chat_events"]
