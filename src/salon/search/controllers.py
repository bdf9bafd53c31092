"""HTTP surface of search: one endpoint, three kinds of results."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from salon.lib.errors import ValidationFailed
from salon.lib.pagination import DEFAULT_LIMIT, Page
from salon.lib.params import Config, Cursor, Limit, MaybeViewer
from salon.posts.schemas import PostView
from salon.search.backend import backend
from salon.search.schemas import HashtagResult, SearchType, UserResult

MAX_QUERY_LENGTH = 200


def _clean_query(q: str, search_type: SearchType) -> str:
    text = q.strip()
    if search_type == "hashtags":
        text = text.removeprefix("#").casefold()
    if not text:
        raise ValidationFailed("Type something to search for: q is empty.", extra={"field": "q"})
    return text


class SearchController(Controller):
    path = "/search"
    tags = ["search"]

    @get("/", operation_id="search", opt={"public": True})
    async def search(
        self,
        maybe_viewer: MaybeViewer,
        settings: Config,
        q: Annotated[str, QueryParameter(max_length=MAX_QUERY_LENGTH, description="what to look for")],
        search_type: Annotated[
            SearchType, QueryParameter(name="type", description="posts | users | hashtags")
        ] = "posts",
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[PostView | UserResult | HashtagResult]:
        """Search posts (full text, ranked with recency), users (by part of their username or display name) or
        hashtags (by prefix). Only what you may see; signed-out readers see public posts."""
        text = _clean_query(q, search_type)
        engine = backend(settings)
        viewer_id = maybe_viewer.uuid if maybe_viewer else None
        page: Page[PostView] | Page[UserResult] | Page[HashtagResult]
        if search_type == "posts":
            page = await engine.posts(text, viewer_id, cursor, limit)
        elif search_type == "users":
            page = await engine.users(text, viewer_id, cursor, limit)
        else:
            page = await engine.hashtags(text, cursor, limit)
        return Page(items=list(page.items), next_cursor=page.next_cursor)


ROUTES = [SearchController]
