"""HTTP surface of AI conversations (docs/api.md, section "AI conversations")."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.response import ServerSentEvent
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from salon.ai import forks, publishing, quota, schemas, services, summaries
from salon.lib.pagination import DEFAULT_LIMIT, Page
from salon.lib.params import Config, Cursor, Limit, MaybeViewer, SignedIn
from salon.lib.sse import Frames, SseResponse

LastEventIdHeader = Annotated[
    str | None, HeaderParameter(name="Last-Event-ID", description="id: of the last frame seen")
]
LastEventIdQuery = Annotated[str | None, QueryParameter(name="last_event_id", description="as Last-Event-ID")]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", description="a retry with the same key within 24 h starts no second reply"),
]


def reply_stream(frames: Frames, *, replayed: bool = False) -> ServerSentEvent:
    return SseResponse(frames, headers={"Idempotent-Replayed": "true"} if replayed else None)


class ConversationController(Controller):
    path = "/ai/conversations"
    tags = ["ai"]

    @post("/", operation_id="createAiConversation", status_code=HTTP_201_CREATED)
    async def create(self, viewer: SignedIn, data: JSONBody[schemas.ConversationCreate]) -> schemas.Conversation:
        """Start a private conversation. A title you give is kept; otherwise the model names it after the first
        exchange."""
        return await services.create_conversation(
            viewer.id, title=data.title, system_prompt=data.system_prompt, kind=data.kind
        )

    @get("/", operation_id="listAiConversations")
    async def list(
        self, viewer: SignedIn, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[schemas.Conversation]:
        """Your conversations, most recently active first."""
        return await services.list_conversations(viewer, cursor, limit)

    @get("/{conversation_id:str}", operation_id="getAiConversation")
    async def detail(self, viewer: SignedIn, conversation_id: FromPath[str]) -> schemas.Conversation:
        return await services.get_conversation(viewer, conversation_id)

    @patch("/{conversation_id:str}", operation_id="updateAiConversation")
    async def update(
        self, viewer: SignedIn, conversation_id: FromPath[str], data: JSONBody[schemas.ConversationUpdate]
    ) -> schemas.Conversation:
        """Change the title or the system prompt (used from the next reply on)."""
        return await services.update_conversation(viewer, conversation_id, data)

    @delete("/{conversation_id:str}", operation_id="deleteAiConversation", status_code=HTTP_204_NO_CONTENT)
    async def remove(self, viewer: SignedIn, conversation_id: FromPath[str]) -> None:
        """Delete the conversation and its messages (a streaming reply is stopped)."""
        await services.delete_conversation(viewer, conversation_id)

    @get("/{conversation_id:str}/messages", operation_id="listAiMessages")
    async def messages(
        self, viewer: SignedIn, settings: Config, conversation_id: FromPath[str], cursor: Cursor = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Page[schemas.Message]:  # fmt: skip
        """Messages in order (increasing ``seq``)."""
        return await services.list_messages(viewer, conversation_id, cursor, limit, settings)

    @post("/{conversation_id:str}/messages", operation_id="sendAiMessage", status_code=HTTP_200_OK)
    async def send(
        self,
        viewer: SignedIn,
        settings: Config,
        conversation_id: FromPath[str],
        data: JSONBody[schemas.MessageCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> ServerSentEvent:
        """Send a message; the answer is a text/event-stream of ``ai_start``, ``ai_chunk``... and ``ai_complete`` or
        ``error``. The reply is generated independently of this request: re-attach with ``.../stream``. A retry with
        the same ``Idempotency-Key`` starts no second reply: it streams the first one from its start (header
        ``Idempotent-Replayed: true``)."""
        frames, replayed = await services.send_message(viewer, conversation_id, data.content, settings, idempotency_key)
        return reply_stream(frames, replayed=replayed)

    @get(
        "/{conversation_id:str}/messages/{message_id:str}/stream",
        operation_id="streamAiReply",
        responses={HTTP_204_NO_CONTENT: ResponseSpec(None, description="Last-Event-ID is the final frame")},
    )
    async def stream(
        self,
        viewer: SignedIn,
        settings: Config,
        conversation_id: FromPath[str],
        message_id: FromPath[str],
        last_event_id_header: LastEventIdHeader = None,
        last_event_id: LastEventIdQuery = None,
    ) -> ServerSentEvent:
        """Re-attach to a reply: the frames after ``Last-Event-ID`` (header or ``?last_event_id=``), or all of them,
        then live ones until it ends. ``204`` when ``Last-Event-ID`` is the reply's final frame or later: there is
        nothing more to send (an ``EventSource`` stops reconnecting on 204)."""
        after = last_event_id_header or last_event_id
        frames = await services.reply_frames(viewer, conversation_id, message_id, after, settings)
        if frames is None:
            return SseResponse([], status_code=HTTP_204_NO_CONTENT)
        return reply_stream(frames)

    @post("/{conversation_id:str}/messages/{message_id:str}/stop", operation_id="stopAiReply", status_code=HTTP_200_OK)
    async def stop(
        self, viewer: SignedIn, settings: Config, conversation_id: FromPath[str], message_id: FromPath[str]
    ) -> schemas.Message:
        """Stop a streaming reply; it keeps the text so far with status ``stopped``."""
        return await services.stop_reply(viewer, conversation_id, message_id, settings)

    @post("/{conversation_id:str}/fork", operation_id="forkAiConversation", status_code=HTTP_201_CREATED)
    async def fork(
        self, viewer: SignedIn, conversation_id: FromPath[str], data: JSONBody[schemas.ForkCreate]
    ) -> schemas.Conversation:
        """Copy the conversation up to ``message_id`` into a new conversation of yours."""
        return await forks.fork_conversation(viewer, conversation_id, data.message_id)

    @post("/{conversation_id:str}/summaries", operation_id="createAiSummary", status_code=HTTP_201_CREATED)
    async def summarise(self, viewer: SignedIn, settings: Config, conversation_id: FromPath[str]) -> schemas.Summary:
        """Have the model summarise the conversation; answers once the summary is stored."""
        return await summaries.create_summary(viewer, conversation_id, settings)

    @get("/{conversation_id:str}/summaries", operation_id="listAiSummaries")
    async def summaries(
        self, viewer: SignedIn, conversation_id: FromPath[str], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> Page[schemas.Summary]:
        """Summaries of this conversation, newest first."""
        return await summaries.list_summaries(viewer, conversation_id, cursor, limit)

    @post("/{conversation_id:str}/publish", operation_id="publishAiConversation", status_code=HTTP_201_CREATED)
    async def publish(
        self, viewer: SignedIn, settings: Config, conversation_id: FromPath[str], data: JSONBody[schemas.PublishCreate]
    ) -> schemas.PublishedConversation:
        """Publish a snapshot of the conversation (up to ``up_to_message_id``) as a post of kind ``conversation``,
        previewed by the summary ``summary_id``. Later changes to the conversation never change the snapshot."""
        return await publishing.publish(viewer, conversation_id, data, settings)


class AiController(Controller):
    path = "/ai"
    tags = ["ai"]

    @get("/usage", operation_id="getAiUsage")
    async def usage(self, viewer: SignedIn, settings: Config) -> schemas.AiUsage:
        """Today's token use against your daily budget, and when it resets (midnight UTC)."""
        return await quota.usage_today(viewer.id, settings)

    @get("/shared/{post_id:str}", operation_id="getSharedAiConversation", opt={"public": True})
    async def shared(
        self, maybe_viewer: MaybeViewer, post_id: FromPath[str], cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
    ) -> schemas.SharedConversation:
        """The snapshot a published conversation post embeds, with a page of its messages, for whoever may see the
        post (signed out: public posts only). 404 once the post is deleted."""
        return await publishing.shared(maybe_viewer, post_id, cursor, limit)

    @post("/shared/{post_id:str}/fork", operation_id="forkSharedAiConversation", status_code=HTTP_201_CREATED)
    async def fork_shared(
        self, viewer: SignedIn, post_id: FromPath[str], data: JSONBody[schemas.SharedForkCreate]
    ) -> schemas.Conversation:
        """Copy the published snapshot up to ``message_id`` (all of it when omitted) into a new private conversation
        of yours; the author is notified (``ai_fork``) and the post's ``fork_count`` grows."""
        return await forks.fork_shared(viewer, post_id, data.message_id)


ROUTES = [ConversationController, AiController]
