"""HTTP surface of the feed: home feed and feedback, explore, trending hashtags, posts of a hashtag."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from salon.feed import explore, feedback, home, trending
from salon.feed.schemas import Algorithm, Feedback, FeedPage, TrendingHashtags
from salon.lib.pagination import DEFAULT_LIMIT, Page
from salon.lib.params import Config, Cursor, Limit, MaybeViewer, SignedIn
from salon.posts.schemas import PostView

PUBLIC = {"public": True}


class FeedController(Controller):
    path = "/feed"
    tags = ["feed"]

    @get("/", operation_id="homeFeed")
    async def home_feed(
        self,
        viewer: SignedIn,
        settings: Config,
        algorithm: Annotated[
            Algorithm | None,
            QueryParameter(description="chronological | engagement | ranked; remembered; default: your last choice"),
        ] = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> FeedPage:
        """Your home feed: your posts, posts and reposts of people you follow, friends' friends-only posts. Each item
        says why it is there (``reason``). The ``algorithm`` you pick is remembered for later requests."""
        return await home.home_feed(viewer.uuid, algorithm, cursor, limit, settings)

    @post("/feedback", operation_id="feedFeedback", status_code=HTTP_204_NO_CONTENT)
    async def feedback(self, viewer: SignedIn, settings: Config, data: JSONBody[Feedback]) -> None:
        """Tell the ranked feed ``show_more`` or ``show_less`` of a post's author, or that you have ``seen`` it."""
        await feedback.give_feedback(viewer.uuid, data, settings)


class ExploreController(Controller):
    path = "/explore"
    tags = ["feed"]

    @get("/", operation_id="explore", opt=PUBLIC)
    async def explore(
        self, maybe_viewer: MaybeViewer, settings: Config, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[PostView]:
        """Public posts of the last 48 hours ranked by engagement velocity, with author diversity."""
        return await explore.explore(maybe_viewer.uuid if maybe_viewer else None, cursor, limit, settings)


class TrendsController(Controller):
    path = "/trends"
    tags = ["feed"]

    @get("/hashtags", operation_id="trendingHashtags", opt=PUBLIC)
    async def hashtags(
        self,
        settings: Config,
        limit: Annotated[int, QueryParameter(ge=1, le=50, description="how many hashtags")] = 10,
    ) -> TrendingHashtags:
        """Trending hashtags, best first (recomputed every minute; not paginated: it is a short top list)."""
        return await trending.current(limit, settings)


class HashtagsController(Controller):
    path = "/hashtags"
    tags = ["feed"]

    @get("/{tag:str}/posts", operation_id="hashtagPosts", opt=PUBLIC)
    async def posts(
        self, maybe_viewer: MaybeViewer, tag: FromPath[str], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[PostView]:
        """Posts tagged ``#tag`` (any case, with or without the ``#``) that you may see, newest first."""
        return await explore.hashtag_posts(tag, maybe_viewer.uuid if maybe_viewer else None, cursor, limit)


ROUTES = [FeedController, ExploreController, TrendsController, HashtagsController]
