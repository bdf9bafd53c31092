"""Fixtures for accounts tests: a second app instance with different settings, sharing this process's stores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import msgspec
import pytest


@pytest.fixture
def app_factory(app: Any, settings: Any) -> Callable[..., httpx.AsyncClient]:
    """``app_factory(**setting_overrides)`` -> an httpx client for another ``create_app`` instance.

    The session app's lifespan has connected this process's Postgres pool and Valkey client, which the extra app uses
    too (running its own lifespan would replace those process-wide connections). Use it as ``async with``.
    """
    from salon.server import create_app

    def make(address: str = "203.0.113.7", **overrides: Any) -> httpx.AsyncClient:
        other = create_app(msgspec.structs.replace(settings, **overrides))
        transport = httpx.ASGITransport(app=other, client=(address, 50000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    return make
