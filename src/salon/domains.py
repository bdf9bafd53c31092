"""The domain packages of salon, in dependency order. Adding a package here is all it takes to mount its routes
(``controllers.ROUTES``), its tables (``piccolo_app``) and its jobs (``jobs`` module)."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import Any

DOMAINS: list[str] = [
    "system",
    "accounts",
    "media",
    "realtime",
    "social",
    "posts",
    "feed",
    "search",
    "notifications",
    "ai",
    "goals",
    "chat",
    "moderation",
]


def _optional(module: str) -> ModuleType | None:
    if importlib.util.find_spec(module) is None:
        return None
    return importlib.import_module(module)


def piccolo_apps() -> list[str]:
    return [f"salon.{d}.piccolo_app" for d in DOMAINS if importlib.util.find_spec(f"salon.{d}.piccolo_app")]


def api_route_handlers() -> list[Any]:
    handlers: list[Any] = []
    for domain in DOMAINS:
        if domain == "system":  # /health, /ready, /docs live at the root, not under /api/v1
            continue
        module = _optional(f"salon.{domain}.controllers")
        if module is not None:
            handlers.extend(module.ROUTES)
    return handlers


def load_jobs() -> None:
    """Import each package's event schemas and jobs, so any process (app or worker) can encode and decode every
    event and run every job, wherever a package declares them."""
    for domain in DOMAINS:
        _optional(f"salon.{domain}.events")
        _optional(f"salon.{domain}.jobs")
