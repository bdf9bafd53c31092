"""HTTP surface of posts: create/read/edit/delete, threads, reposts, quotes, likes, bookmarks, user timelines."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from salon.lib.auth import Viewer
from salon.lib.pagination import DEFAULT_LIMIT, Page
from salon.lib.params import Config, Cursor, Limit, MaybeViewer, SignedIn
from salon.posts import editing, interactions, queries, services
from salon.posts.schemas import (
    BookmarkState,
    Engagement,
    LikeState,
    PostCreate,
    PostPatch,
    PostVersion,
    PostView,
    RepostState,
    ThreadContext,
    UserStats,
)

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", description="retrying with the same key within 24 h returns the same post"),
]
PUBLIC = {"public": True}


def _id(viewer: Viewer | None):  # type: ignore[no-untyped-def]
    return viewer.uuid if viewer else None


class PostsController(Controller):
    path = "/posts"
    tags = ["posts"]

    @post("/", operation_id="createPost")
    async def create(
        self, viewer: SignedIn, settings: Config, data: JSONBody[PostCreate], idempotency_key: IdempotencyKey = None
    ) -> Response[PostView]:
        """Publish a post, a reply (``reply_to_id``) or a quote (``quote_of_id``). 201 with the post; a retry with the
        same ``Idempotency-Key`` returns the same post (header ``Idempotent-Replayed: true``)."""
        view, replayed = await services.publish_post(viewer, data, settings, idempotency_key)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return Response(view, status_code=HTTP_201_CREATED, headers=headers)

    @get("/{post_id:str}", operation_id="getPost", opt=PUBLIC)
    async def get_post(self, maybe_viewer: MaybeViewer, post_id: FromPath[str]) -> PostView:
        """A post you may see (404 for a deleted or hidden post)."""
        return await services.get_post(post_id, _id(maybe_viewer))

    @patch("/{post_id:str}", operation_id="editPost")
    async def edit(
        self, viewer: SignedIn, settings: Config, post_id: FromPath[str], data: JSONBody[PostPatch]
    ) -> PostView:
        """Edit your post's ``content`` and/or ``visibility``; previous texts stay in the history."""
        await editing.edit_post(viewer, post_id, data, settings)
        return await services.get_post(post_id, viewer.uuid)

    @delete("/{post_id:str}", operation_id="deletePost", status_code=HTTP_204_NO_CONTENT)
    async def delete_post(self, viewer: SignedIn, post_id: FromPath[str]) -> None:
        """Delete a post (author or moderator). Replies stay; they show the post as a ``deleted`` tombstone."""
        await services.delete_post(viewer, post_id)

    @get("/{post_id:str}/history", operation_id="postHistory", opt=PUBLIC)
    async def history(
        self, maybe_viewer: MaybeViewer, post_id: FromPath[str], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[PostVersion]:
        """The post's versions, current first."""
        return await editing.history(post_id, _id(maybe_viewer), cursor, limit)

    @get("/{post_id:str}/context", operation_id="postContext", opt=PUBLIC)
    async def context(
        self, maybe_viewer: MaybeViewer, post_id: FromPath[str], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> ThreadContext:
        """Ancestors (root first) and a page of descendants (oldest first) of a post."""
        return await queries.context(post_id, _id(maybe_viewer), cursor, limit)

    @get("/{post_id:str}/replies", operation_id="postReplies", opt=PUBLIC)
    async def replies(
        self, maybe_viewer: MaybeViewer, post_id: FromPath[str], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[PostView]:
        """Direct replies, oldest first."""
        return await queries.replies(post_id, _id(maybe_viewer), cursor, limit)

    @get("/{post_id:str}/quotes", operation_id="postQuotes", opt=PUBLIC)
    async def quotes(
        self, maybe_viewer: MaybeViewer, post_id: FromPath[str], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[PostView]:
        """Posts quoting this one, newest first."""
        return await queries.quotes(post_id, _id(maybe_viewer), cursor, limit)

    @get("/{post_id:str}/likes", operation_id="postLikes", opt=PUBLIC)
    async def likes(
        self, maybe_viewer: MaybeViewer, post_id: FromPath[str], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[Engagement]:
        """People who liked the post, newest first."""
        return await queries.engagements("likes", post_id, _id(maybe_viewer), cursor, limit)

    @get("/{post_id:str}/reposts", operation_id="postReposts", opt=PUBLIC)
    async def reposts(
        self, maybe_viewer: MaybeViewer, post_id: FromPath[str], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[Engagement]:
        """People who reposted the post, newest first."""
        return await queries.engagements("reposts", post_id, _id(maybe_viewer), cursor, limit)

    @post("/{post_id:str}/like", operation_id="likePost", status_code=HTTP_200_OK)
    async def like(self, viewer: SignedIn, post_id: FromPath[str]) -> LikeState:
        """Like a post (liking twice is a no-op)."""
        return await interactions.like(viewer.uuid, post_id)

    @delete("/{post_id:str}/like", operation_id="unlikePost", status_code=HTTP_200_OK)
    async def unlike(self, viewer: SignedIn, post_id: FromPath[str]) -> LikeState:
        """Take back a like (a no-op when you had not liked it)."""
        return await interactions.unlike(viewer.uuid, post_id)

    @post("/{post_id:str}/repost", operation_id="repostPost", status_code=HTTP_200_OK)
    async def repost(self, viewer: SignedIn, post_id: FromPath[str]) -> RepostState:
        """Repost a public post (reposting twice is a no-op)."""
        return await interactions.repost(viewer.uuid, post_id)

    @delete("/{post_id:str}/repost", operation_id="unrepostPost", status_code=HTTP_200_OK)
    async def unrepost(self, viewer: SignedIn, post_id: FromPath[str]) -> RepostState:
        """Take back a repost."""
        return await interactions.unrepost(viewer.uuid, post_id)

    @post("/{post_id:str}/bookmark", operation_id="bookmarkPost", status_code=HTTP_200_OK)
    async def bookmark(self, viewer: SignedIn, post_id: FromPath[str]) -> BookmarkState:
        """Bookmark a post (private to you)."""
        return await interactions.bookmark(viewer.uuid, post_id)

    @delete("/{post_id:str}/bookmark", operation_id="unbookmarkPost", status_code=HTTP_200_OK)
    async def unbookmark(self, viewer: SignedIn, post_id: FromPath[str]) -> BookmarkState:
        """Remove a bookmark."""
        return await interactions.unbookmark(viewer.uuid, post_id)


class BookmarksController(Controller):
    path = "/bookmarks"
    tags = ["posts"]

    @get("/", operation_id="listBookmarks")
    async def list_bookmarks(
        self, viewer: SignedIn, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[PostView]:
        """Your bookmarked posts, most recently bookmarked first (deleted or now hidden posts drop out)."""
        return await queries.bookmarks(viewer.uuid, cursor, limit)


class UserPostsController(Controller):
    path = "/users"
    tags = ["posts"]

    @get("/me/stats", operation_id="myStats")
    async def my_stats(self, viewer: SignedIn) -> UserStats:
        """Your counts: posts, followers, following, friends, engagement received, bookmarks."""
        return await queries.stats(viewer.uuid)

    @get("/{username:str}/posts", operation_id="userPosts", opt=PUBLIC)
    async def user_posts(
        self,
        maybe_viewer: MaybeViewer,
        username: FromPath[str],
        include_replies: FromQuery[bool] = False,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[PostView]:
        """A user's posts you may see, newest first; replies too with ``include_replies=true``."""
        return await queries.user_posts(username, _id(maybe_viewer), include_replies, cursor, limit)


ROUTES = [PostsController, BookmarksController, UserPostsController]
