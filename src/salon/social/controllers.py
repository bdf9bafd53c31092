"""HTTP surface of the social graph. Thin: parse, call ``services``, shape the response."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, Response, delete, get, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from salon.lib.auth import Viewer
from salon.lib.pagination import DEFAULT_LIMIT, Page
from salon.lib.params import Cursor, Limit, MaybeViewer, SignedIn
from salon.social import blocking, friends, services
from salon.social.schemas import (
    BlockedUser,
    BlockState,
    FollowState,
    FriendRequestCreate,
    FriendRequestView,
    Friendship,
    MutedUser,
    MuteState,
    Relationship,
    RelationshipEntry,
)


def _viewer_uuid(viewer: Viewer | None):  # type: ignore[no-untyped-def]
    return viewer.uuid if viewer else None


class RelationshipController(Controller):
    """Follow, block and mute other users; list followers and followees."""

    path = "/users"
    tags = ["social"]

    @get("/me/blocks", operation_id="listBlockedUsers")
    async def blocked_users(
        self, viewer: SignedIn, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[BlockedUser]:
        """The accounts you blocked, most recent block first. Only you see this list."""
        return await blocking.blocked_users(viewer.uuid, cursor, limit)

    @get("/me/mutes", operation_id="listMutedUsers")
    async def muted_users(
        self, viewer: SignedIn, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[MutedUser]:
        """The accounts you muted, most recent mute first. Only you see this list."""
        return await blocking.muted_users(viewer.uuid, cursor, limit)

    @post("/{username:str}/follow", operation_id="followUser", status_code=HTTP_200_OK)
    async def follow(self, viewer: SignedIn, username: FromPath[str]) -> FollowState:
        """Follow a user. Following someone you already follow changes nothing; following yourself is a 422."""
        return await services.follow(viewer.uuid, username)

    @delete("/{username:str}/follow", operation_id="unfollowUser", status_code=HTTP_200_OK)
    async def unfollow(self, viewer: SignedIn, username: FromPath[str]) -> FollowState:
        """Stop following a user (a no-op when you did not follow them)."""
        return await services.unfollow(viewer.uuid, username)

    @get("/{username:str}/followers", operation_id="listFollowers", opt={"public": True})
    async def followers(
        self, maybe_viewer: MaybeViewer, username: FromPath[str], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[RelationshipEntry]:
        """People who follow the user, newest first."""
        return await services.followers(username, _viewer_uuid(maybe_viewer), cursor, limit)

    @get("/{username:str}/following", operation_id="listFollowing", opt={"public": True})
    async def following(
        self, maybe_viewer: MaybeViewer, username: FromPath[str], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[RelationshipEntry]:
        """People the user follows, newest first."""
        return await services.following(username, _viewer_uuid(maybe_viewer), cursor, limit)

    @get("/{username:str}/relationship", operation_id="getRelationship")
    async def relationship(self, viewer: SignedIn, username: FromPath[str]) -> Relationship:
        """How you stand with a user: follows both ways, friendship, pending friend requests, block and mute."""
        return await services.relationship(viewer.uuid, username)

    @post("/{username:str}/block", operation_id="blockUser", status_code=HTTP_200_OK)
    async def block(self, viewer: SignedIn, username: FromPath[str]) -> BlockState:
        """Block a user: removes follows and friendship both ways; they can no longer see or reach you."""
        return await blocking.block(viewer.uuid, username)

    @delete("/{username:str}/block", operation_id="unblockUser", status_code=HTTP_200_OK)
    async def unblock(self, viewer: SignedIn, username: FromPath[str]) -> BlockState:
        """Lift a block (removed follows and friendship are not restored)."""
        return await blocking.unblock(viewer.uuid, username)

    @post("/{username:str}/mute", operation_id="muteUser", status_code=HTTP_200_OK)
    async def mute(self, viewer: SignedIn, username: FromPath[str]) -> MuteState:
        """Mute a user: hidden from your feeds and notifications only; they are not told."""
        return await blocking.mute(viewer.uuid, username)

    @delete("/{username:str}/mute", operation_id="unmuteUser", status_code=HTTP_200_OK)
    async def unmute(self, viewer: SignedIn, username: FromPath[str]) -> MuteState:
        """Unmute a user."""
        return await blocking.unmute(viewer.uuid, username)


class FriendsController(Controller):
    """Symmetric friendships, made by request and acceptance."""

    path = "/friends"
    tags = ["social"]

    @get("/", operation_id="listFriends")
    async def list_friends(
        self, viewer: SignedIn, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[Friendship]:
        """Your friends, most recent friendship first."""
        return await friends.friends(viewer.uuid, cursor, limit)

    @delete("/{username:str}", operation_id="removeFriend", status_code=HTTP_204_NO_CONTENT)
    async def remove_friend(self, viewer: SignedIn, username: FromPath[str]) -> None:
        """End a friendship (404 when you are not friends)."""
        await friends.remove_friend(viewer.uuid, username)

    @post(
        "/requests",
        operation_id="sendFriendRequest",
        responses={HTTP_200_OK: ResponseSpec(FriendRequestView, description="You had asked before: the pending one")},
    )
    async def send_request(self, viewer: SignedIn, data: JSONBody[FriendRequestCreate]) -> Response[FriendRequestView]:
        """Ask someone to be friends: 201 with the new request, 200 with the pending one when you asked before.

        When they had already asked you, this accepts their request: 201 with ``status: "accepted"``.
        """
        view, created = await friends.send_friend_request(viewer.uuid, data.username)
        return Response(view, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/requests", operation_id="listFriendRequests")
    async def list_requests(
        self,
        viewer: SignedIn,
        direction: FromQuery[Literal["incoming", "outgoing"]] = "incoming",
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[FriendRequestView]:
        """Pending friend requests you received (``incoming``, default) or sent (``outgoing``), newest first."""
        return await friends.friend_requests(viewer.uuid, direction, cursor, limit)

    @post("/requests/{request_id:str}/accept", operation_id="acceptFriendRequest", status_code=HTTP_200_OK)
    async def accept(self, viewer: SignedIn, request_id: FromPath[str]) -> Friendship:
        """Accept a request you received."""
        return await friends.accept_friend_request(viewer.uuid, request_id)

    @post("/requests/{request_id:str}/decline", operation_id="declineFriendRequest", status_code=HTTP_204_NO_CONTENT)
    async def decline(self, viewer: SignedIn, request_id: FromPath[str]) -> None:
        """Decline a request you received, or withdraw one you sent."""
        await friends.decline_friend_request(viewer.uuid, request_id)


ROUTES = [RelationshipController, FriendsController]
