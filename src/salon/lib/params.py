"""Parameter and dependency aliases shared by the controllers, in the explicit style Litestar 3.0 requires.

A handler parameter must say what it is: ``NamedDependency[...]`` for a dependency, ``FromPath[...]`` or
``Annotated[..., PathParameter(...)]`` for a path parameter, ``QueryParameter`` / ``HeaderParameter`` for query and
header parameters. Litestar 2.x still infers a bare ``viewer: Viewer`` or ``chat_id: str`` and warns
(``LitestarDeprecationWarning``); 3.0 will not.
"""

from __future__ import annotations

from typing import Annotated

from litestar.di import NamedDependency
from litestar.params import QueryParameter

from salon.lib.auth import Viewer
from salon.lib.pagination import MAX_LIMIT
from salon.settings import Settings

__all__ = ["Config", "Cursor", "Limit", "MaybeViewer", "SignedIn"]

SignedIn = NamedDependency[Viewer]
"""The signed-in viewer (``viewer`` dependency); a request without a valid token never reaches the handler."""
MaybeViewer = NamedDependency[Viewer | None]
"""The viewer when signed in, else ``None`` (``maybe_viewer`` dependency), for public routes."""
Config = NamedDependency[Settings]
"""The application's settings (``settings`` dependency)."""

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="page size")]
Cursor = Annotated[str | None, QueryParameter(description="next_cursor of the previous page")]
