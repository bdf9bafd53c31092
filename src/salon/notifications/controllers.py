"""HTTP endpoints of notifications."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from salon.lib.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from salon.lib.params import SignedIn
from salon.notifications import services
from salon.notifications.schemas import MarkRead, NotificationView, UnreadCount

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]


class NotificationController(Controller):
    path = "/notifications"
    tags = ["notifications"]

    @get("/", operation_id="list_notifications")
    async def list_notifications(
        self,
        viewer: SignedIn,
        types: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[NotificationView]:
        """The signed-in user's notifications, newest activity first; ``types=like,follow`` filters."""
        wanted = [part.strip() for part in (types or "").split(",") if part.strip()]
        return await services.list_notifications(viewer.uuid, types=wanted, cursor=cursor, limit=limit)

    @get("/unread_count", operation_id="count_unread_notifications")
    async def unread_count(self, viewer: SignedIn) -> UnreadCount:
        """How many notifications are unread (``{"count": n}``)."""
        return await services.unread_count(viewer.uuid)

    @post("/read", operation_id="mark_notifications_read", status_code=200)
    async def mark_read(self, viewer: SignedIn, data: JSONBody[MarkRead]) -> UnreadCount:
        """Mark everything up to ``up_to_id`` read; the user's other devices get a ``notifications.read`` event."""
        return await services.mark_read(viewer.uuid, data.up_to_id)


ROUTES = [NotificationController]
