"""HTTP surface of chat: chats, members, messages, read state, receipts, typing and messaging preferences.

A chat the viewer is not a member of does not exist for them: every route answers 404 for it.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from salon.chat import access, messages, reads, services
from salon.chat.schemas import (
    ChatCreate,
    ChatPatch,
    ChatView,
    MemberPatch,
    MembersAdd,
    MemberView,
    MessageCreate,
    MessagePatch,
    MessageView,
    Preferences,
    PreferencesPatch,
    ReadMarker,
    ReadState,
    ReceiptsView,
    TypingState,
    TypingUpdate,
    UnreadCounts,
)
from salon.lib.pagination import DEFAULT_LIMIT, Page
from salon.lib.params import Config, Cursor, Limit, SignedIn
from salon.realtime.schemas import PresenceList

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", description="retrying with the same key returns the same message"),
]


class ChatsController(Controller):
    path = "/chats"
    tags = ["chat"]

    @post("/", operation_id="createChat")
    async def create(self, viewer: SignedIn, data: JSONBody[ChatCreate]) -> Response[ChatView]:
        """Start a direct chat (``type: direct``, one username) or a group (``type: group``, a ``name`` and 1-255
        other usernames). 201 when created; 200 with the existing chat when that direct chat already exists."""
        chat, created = await services.create_chat(viewer.uuid, data)
        return Response(chat, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/", operation_id="listChats")
    async def list_chats(self, viewer: SignedIn, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> Page[ChatView]:
        """Your chats, most recent activity first, with the last message and your ``unread_count`` in each."""
        return await services.list_chats(viewer.uuid, cursor, limit)

    @get("/unread", operation_id="chatUnreadCounts")
    async def unread(self, viewer: SignedIn) -> UnreadCounts:
        """Unread messages over all your chats, and how many chats have some."""
        return await reads.unread_totals(viewer.uuid)

    @get("/preferences", operation_id="getChatPreferences")
    async def get_preferences(self, viewer: SignedIn) -> Preferences:
        """Who may start a chat with you or add you to a group."""
        return await access.preferences(viewer.uuid)

    @patch("/preferences", operation_id="setChatPreferences")
    async def set_preferences(self, viewer: SignedIn, data: JSONBody[PreferencesPatch]) -> Preferences:
        """``allow_messages_from``: ``everyone``, ``followers`` (people who follow you, and friends) or ``friends``.
        Chats that already exist go on."""
        return await access.set_preferences(viewer.uuid, data.allow_messages_from)

    @get("/{chat_id:str}", operation_id="getChat")
    async def get_chat(self, viewer: SignedIn, chat_id: FromPath[str]) -> ChatView:
        """A chat you are a member of."""
        return await services.get_chat(viewer.uuid, chat_id)

    @patch("/{chat_id:str}", operation_id="updateChat")
    async def update(self, viewer: SignedIn, chat_id: FromPath[str], data: JSONBody[ChatPatch]) -> ChatView:
        """Rename a group (admins). Group images need media uploads, which are not available yet (422)."""
        return await services.update_chat(viewer.uuid, chat_id, data)


class ChatMembersController(Controller):
    path = "/chats/{chat_id:str}/members"
    tags = ["chat"]

    @get("/", operation_id="listChatMembers")
    async def list_members(
        self, viewer: SignedIn, chat_id: FromPath[str], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[MemberView]:
        """The chat's members in the order they joined."""
        return await services.members(viewer.uuid, chat_id, cursor, limit)

    @post("/", operation_id="addChatMembers", status_code=HTTP_200_OK)
    async def add(self, viewer: SignedIn, chat_id: FromPath[str], data: JSONBody[MembersAdd]) -> ChatView:
        """Add people to a group (admins). They see messages from their joining on."""
        return await services.add_members(viewer.uuid, chat_id, data.usernames)

    @patch("/{username:str}", operation_id="setChatMemberRole")
    async def set_role(
        self, viewer: SignedIn, chat_id: FromPath[str], username: FromPath[str], data: JSONBody[MemberPatch]
    ) -> MemberView:
        """Make a member admin, or an admin member (admins)."""
        return await services.set_role(viewer.uuid, chat_id, username, data.role)

    @delete("/{username:str}", operation_id="removeChatMember", status_code=HTTP_204_NO_CONTENT)
    async def remove(self, viewer: SignedIn, chat_id: FromPath[str], username: FromPath[str]) -> None:
        """Leave a group (your own username), or remove a member (admins)."""
        await services.remove_member(viewer.uuid, chat_id, username)


class ChatMessagesController(Controller):
    path = "/chats/{chat_id:str}"
    tags = ["chat"]

    @post("/messages", operation_id="sendChatMessage")
    async def send(
        self,
        viewer: SignedIn,
        settings: Config,
        chat_id: FromPath[str],
        data: JSONBody[MessageCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[MessageView]:
        """Send a message. 201 with it; a retry with the same ``Idempotency-Key`` returns the same message (header
        ``Idempotent-Replayed: true``). ``media_ids`` must be empty until media uploads exist."""
        message, replayed = await messages.send(viewer.uuid, chat_id, data, settings, idempotency_key)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return Response(message, status_code=HTTP_201_CREATED, headers=headers)

    @get("/messages", operation_id="listChatMessages")
    async def history(
        self, viewer: SignedIn, chat_id: FromPath[str], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[MessageView]:
        """Messages newest first (by ``seq``); pages stay stable while new messages arrive."""
        return await messages.history(viewer.uuid, chat_id, cursor, limit)

    @patch("/messages/{message_id:str}", operation_id="editChatMessage")
    async def edit(
        self,
        viewer: SignedIn,
        settings: Config,
        chat_id: FromPath[str],
        message_id: FromPath[str],
        data: JSONBody[MessagePatch],
    ) -> MessageView:
        """Edit a message you sent."""
        return await messages.edit(viewer.uuid, chat_id, message_id, data.content, settings)

    @delete("/messages/{message_id:str}", operation_id="deleteChatMessage", status_code=HTTP_204_NO_CONTENT)
    async def delete_message(self, viewer: SignedIn, chat_id: FromPath[str], message_id: FromPath[str]) -> None:
        """Delete a message you sent, for everyone (a tombstone keeps its place)."""
        await messages.delete_for_everyone(viewer.uuid, chat_id, message_id)

    @get("/messages/{message_id:str}/receipts", operation_id="chatMessageReceipts")
    async def receipts(
        self,
        viewer: SignedIn,
        chat_id: FromPath[str],
        message_id: FromPath[str],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> ReceiptsView:
        """Who read a message and when, oldest read first; ``unread_by_count`` members have not read it yet."""
        return await reads.receipts(viewer.uuid, chat_id, message_id, cursor, limit)

    @post("/read", operation_id="markChatRead", status_code=HTTP_200_OK)
    async def read(self, viewer: SignedIn, chat_id: FromPath[str], data: JSONBody[ReadMarker]) -> ReadState:
        """Move your read marker to ``up_to_id`` (it never moves back); the members get a ``read`` event."""
        return await reads.mark_read(viewer.uuid, chat_id, data.up_to_id)

    @get("/presence", operation_id="chatMemberPresence")
    async def presence(self, viewer: SignedIn, chat_id: FromPath[str]) -> PresenceList:
        """Whether the other members are online, idle or offline (live changes: ``presence`` events, which the
        real-time package sends to friends and mutual follows)."""
        return await services.member_presence(viewer.uuid, chat_id)

    @post("/typing", operation_id="sendChatTyping", status_code=HTTP_200_OK)
    async def typing(
        self, viewer: SignedIn, chat_id: FromPath[str], data: JSONBody[TypingUpdate | None] = None
    ) -> TypingState:
        """Say you are typing (no body, or ``typing: true``; call every few seconds while typing) or stopped
        (``typing: false``). The others get at most one ``typing`` event from you per chat every 3 s; ``sent: false``
        when this call was throttled."""
        is_typing = data.typing if data is not None else True
        return TypingState(sent=await messages.typing(viewer.uuid, chat_id, is_typing))


ROUTES = [ChatsController, ChatMembersController, ChatMessagesController]
