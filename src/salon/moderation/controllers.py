"""HTTP surface of moderation: reports (any signed-in user) and the moderator queue, decisions and audit log."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from salon.lib.auth import require_role
from salon.lib.pagination import DEFAULT_LIMIT, Page
from salon.lib.params import Config, Cursor, Limit, SignedIn
from salon.moderation import services
from salon.moderation.schemas import DecisionCreate, DecisionView, QueueEntry, ReportCreate, ReportView


class ReportsController(Controller):
    path = "/reports"
    tags = ["moderation"]

    @post("/", operation_id="createReport", status_code=HTTP_201_CREATED)
    async def create(self, viewer: SignedIn, settings: Config, data: JSONBody[ReportCreate]) -> ReportView:
        """Report a post, chat message, user or chat you can see (rate-limited: SALON_REPORTS_MAX_PER_HOUR)."""
        return await services.report(viewer, data, settings)

    @get("/", operation_id="listMyReports")
    async def mine(self, viewer: SignedIn, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> Page[ReportView]:
        """Your reports, newest first, with their ``status`` and the moderator's ``outcome``."""
        return await services.my_reports(viewer, cursor, limit)


class ModerationController(Controller):
    path = "/moderation"
    tags = ["moderation"]
    guards = [require_role("moderator", "admin")]

    @get("/queue", operation_id="moderationQueue")
    async def queue(self, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> Page[QueueEntry]:
        """Open AI flags, local-check flags, provider failures and reports, grouped by subject, oldest first."""
        return await services.queue(cursor, limit)

    @post("/items/{item_id:str}/decision", operation_id="decideModerationItem", status_code=HTTP_201_CREATED)
    async def decide(
        self, viewer: SignedIn, settings: Config, item_id: FromPath[str], data: JSONBody[DecisionCreate]
    ) -> DecisionView:
        """Decide about an item's subject (resolving all its open items): approve, remove, warn, suspend or ban."""
        return await services.decide(viewer, item_id, data, settings)

    @get("/audit", operation_id="moderationAudit")
    async def audit(self, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> Page[DecisionView]:
        """Every decision ever made, newest first (append-only)."""
        return await services.audit_log(cursor, limit)


ROUTES = [ReportsController, ModerationController]
