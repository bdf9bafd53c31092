"""The web client: static files (ES modules and CSS, no build step) served by salon itself.

``/`` answers the single page (``static/index.html``); everything it loads lives under ``/web/``. The client talks
only to the public HTTP API (``/api/v1``) and the event stream, like any other client would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import get
from litestar.datastructures import CacheControlHeader
from litestar.response import File
from litestar.static_files import create_static_files_router

STATIC_DIR = Path(__file__).parent / "static"
ASSETS_PATH = "/web"

# Checked on every load, so a new salon version is picked up at once (the files are small: ~120 kB in all).
_REVALIDATE = CacheControlHeader(no_cache=True)


@get("/", include_in_schema=False, cache_control=_REVALIDATE, name="web_index")
async def index() -> File:
    """The single page of the web client."""
    return File(STATIC_DIR / "index.html", content_disposition_type="inline", media_type="text/html")


ROUTES: list[Any] = [
    index,
    create_static_files_router(
        path=ASSETS_PATH, directories=[STATIC_DIR], include_in_schema=False, cache_control=_REVALIDATE, name="web"
    ),
]
