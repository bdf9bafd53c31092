"""Every domain's route handlers, mounted under /api/v1. Add a package's controllers here."""

from __future__ import annotations

from typing import Any

API_PREFIX = "/api/v1"


def api_route_handlers() -> list[Any]:
    return []
