"""Generations: a reply is produced by an asyncio task owned by the app process, independent of any HTTP request.

- **One per conversation**: ``ai:generating:{conversation_id}`` holds the AI message id (``SET NX``), refreshed by
  the task while it runs. It doubles as the liveness signal: a ``streaming`` message whose conversation lock no
  longer names it belongs to a process that died, and whoever notices marks it ``failed`` (keeping the text that
  reached the Valkey stream) and ends its stream with an ``error`` frame.
- **Chunks** go to the reply's Valkey stream (``salon.ai.streams``) as they arrive, without the producer waiting for
  each write (``streams.FrameWriter``: chunks go into the Valkey pipeline the process's replies share, a burst in one
  round trip); every chunk is in the stream before the final text, status and usage are written to Postgres, whether or
  not anyone is still listening.
- **Stop**: ``ai:stop:{message_id}`` (checked by the task's watchdog, so a stop reaches the task from any process) or
  a direct call in the owning process. The task ends with status ``stopped`` and keeps the partial text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from salon.ai import context, quota, schemas, store, streams
from salon.ai.provider import ProviderError, Usage, close_provider, get_provider
from salon.ai.tables import Message
from salon.lib import jobs
from salon.lib import shutdown as app_shutdown
from salon.lib import valkey as valkey_client
from salon.lib.db import unit_of_work

log = logging.getLogger("salon.ai.generation")

LOCK_TTL_SECONDS = 15
WATCHDOG_INTERVAL_SECONDS = 1.0
STOP_TTL_SECONDS = 300
RELEASED_TTL_SECONDS = 60  # longer than any refresh can be in flight
# Refresh the lock if it is ours; take it back if it lapsed (refreshes came late under load) and nobody took it, unless
# the reply already released it (KEYS[2]): a refresh sent before the release can reach Valkey after it, and must not
# hold a finished reply's conversation for another LOCK_TTL_SECONDS (the next message would get a 409).
REFRESH_IF_OURS = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then
    redis.call('expire', KEYS[1], ARGV[2])
    return 1
end
if not holder and redis.call('exists', KEYS[2]) == 0 then
    redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2])
    return 1
end
return 0
"""
RELEASE_IF_OURS = """
redis.call('set', KEYS[2], '1', 'EX', ARGV[2])
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def lock_key(conversation_id: str) -> str:
    return f"ai:generating:{conversation_id}"


def stop_key(message_id: str) -> str:
    return f"ai:stop:{message_id}"


def released_key(message_id: str) -> str:
    return f"ai:released:{message_id}"


def refresh_command(conversation_id: str, message_id: str) -> tuple[Any, ...]:
    """The arguments of ``EVAL`` that refreshes (or takes back) ``message_id``'s hold on its conversation."""
    keys = (lock_key(conversation_id), released_key(message_id))
    return (REFRESH_IF_OURS, len(keys), *keys, message_id, LOCK_TTL_SECONDS)


async def acquire(conversation_id: str, message_id: str) -> str | None:
    """Take the conversation's generation slot for ``message_id``; the current holder's id when it is taken."""
    client = valkey_client.client()
    if await client.set(lock_key(conversation_id), message_id, nx=True, ex=LOCK_TTL_SECONDS):
        return None
    holder = await client.get(lock_key(conversation_id))
    return holder or "unknown"


def release_command(conversation_id: str, message_id: str) -> valkey_client.Command:
    keys = (lock_key(conversation_id), released_key(message_id))
    return ("EVAL", RELEASE_IF_OURS, len(keys), *keys, message_id, RELEASED_TTL_SECONDS)


async def release(conversation_id: str, message_id: str) -> None:
    await valkey_client.pipelined(release_command(conversation_id, message_id))


async def holders(conversation_ids: list[str]) -> list[str | None]:
    if not conversation_ids:
        return []
    return list(await valkey_client.client().mget([lock_key(c) for c in conversation_ids]))


@dataclass
class Generation:
    """One reply being produced: the conversation row as of the request, and the AI message's id and seq."""

    conversation: dict[str, Any]
    message_id: uuid.UUID
    seq: int
    context_budget: int
    context_turns: int
    stream_retention: int
    start_entry: str  # the id of the reply's ``ai_start`` frame: its chunks' ids follow it
    parts: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    first_token_ms: int | None = None
    overflow: bool = False
    stop_requested: bool = False
    producer: asyncio.Task[None] | None = None
    chunks: streams.FrameWriter = field(init=False)

    def __post_init__(self) -> None:
        self.chunks = streams.FrameWriter(self.id, after=self.start_entry)

    @property
    def id(self) -> str:
        return str(self.message_id)

    @property
    def conversation_id(self) -> str:
        return str(self.conversation["id"])

    @property
    def owner_id(self) -> str:
        return str(self.conversation["owner"])

    def request_stop(self) -> None:
        """Stop now. Text and stream still agree: a chunk is added to both at once (its write to the stream is
        queued), and the chunks queued are written before the outcome is stored."""
        self.stop_requested = True
        if self.producer is not None:
            self.producer.cancel()


_running: dict[str, Generation] = {}
_tasks: set[asyncio.Task[None]] = set()


def start(generation: Generation) -> None:
    """Run the generation as a task of this process. Shutdown interrupts it (stored ``failed`` with the code
    ``generation_interrupted`` and the text so far, and its stream ends): the process is about to go away."""
    streams.open_local(generation.id)  # readers in this process get the frames as they are appended
    task = asyncio.create_task(run(generation), name=f"ai-reply-{generation.id}")
    _running[generation.id] = generation
    _tasks.add(task)

    def interrupt() -> None:
        task.cancel()

    stop_listening = app_shutdown.on_begin(interrupt)

    def forget(done: asyncio.Task[None]) -> None:
        _tasks.discard(done)
        _running.pop(generation.id, None)
        streams.close_local(generation.id)
        stop_listening()

    task.add_done_callback(forget)


def running_here(message_id: str) -> Generation | None:
    return _running.get(message_id)


async def run(generation: Generation) -> None:
    """Produce the reply, then record how it ended. Never raises except on process shutdown."""
    started = time.monotonic()
    generation.producer = asyncio.create_task(produce(generation, started))
    watchdog = asyncio.create_task(watch(generation))
    status, error = "complete", None
    try:
        await generation.producer
    except asyncio.CancelledError:
        if (current := asyncio.current_task()) is not None and current.cancelling():
            status, error = "failed", ProviderError("generation_interrupted", "The server shut down.", retryable=True)
            # The cancellation is handled here (the outcome is recorded below): clear it, or timeouts inside the
            # store and Valkey calls of ``finish`` would read the pending cancellation as their own and abort.
            current.uncancel()
        else:
            status = "stopped"
    except ProviderError as exc:
        status, error = "failed", exc
    except Exception:
        log.exception("AI reply %s failed unexpectedly", generation.id)
        status, error = "failed", ProviderError("internal", "salon failed while producing this reply.", retryable=True)
    finally:
        watchdog.cancel()
    try:
        await generation.chunks.drain()  # the stream holds every chunk of the text before the outcome is stored
    except Exception:
        log.exception("writing the chunks of AI reply %s failed", generation.id)
        if error is None:
            status, error = "failed", ProviderError("internal", "salon failed while streaming this reply.",
                                                    retryable=True)  # fmt: skip
    await finish(generation, status, error)


async def produce(generation: Generation, started: float) -> None:
    prompt = await context.build_prompt(
        generation.conversation, generation.seq, generation.context_budget, generation.context_turns
    )
    generation.overflow = prompt.overflow
    provider = await get_provider()
    reply = provider.reply(prompt.turns, system=prompt.system)
    async for delta in reply:
        if generation.first_token_ms is None:
            generation.first_token_ms = int((time.monotonic() - started) * 1000)
        # Text and stream together, with no await between them: a stop (a cancellation) lands before or after.
        generation.chunks.write("ai_chunk", schemas.AiChunk(delta=delta, index=len(generation.parts)))
        generation.parts.append(delta)
        if generation.stop_requested:
            raise asyncio.CancelledError
    generation.usage = reply.usage


async def watch(generation: Generation) -> None:
    """Keep the conversation's lock alive while the task runs, and notice a stop requested from any process."""
    while True:
        await asyncio.sleep(WATCHDOG_INTERVAL_SECONDS)
        try:
            _, stop = await valkey_client.pipelined(
                ("EVAL", *refresh_command(generation.conversation_id, generation.id)),
                ("EXISTS", stop_key(generation.id)),
            )
        except Exception:  # Valkey hiccup: try again next tick; the lock outlives a few missed refreshes
            log.warning("watchdog of AI reply %s could not reach Valkey", generation.id, exc_info=True)
            continue
        if stop:
            generation.request_stop()


async def finish(generation: Generation, status: str, error: ProviderError | None) -> None:
    """Store the outcome, free the conversation, then end the stream (in that order: a client that sees the final
    frame can send its next message at once and finds the stored reply)."""
    text = "".join(generation.parts)
    try:
        row = await store_outcome(generation, status, text, error)
    except Exception:
        log.exception("could not store the outcome of AI reply %s; readers will mark it failed", generation.id)
        return
    retention = generation.stream_retention
    if row is None:
        await release(generation.conversation_id, generation.id)
        if await store.message_by_id(generation.message_id) is None:  # the conversation was deleted meanwhile
            await streams.append(
                generation.id,
                "error",
                schemas.AiError(
                    code="conversation_deleted",
                    detail="The conversation was deleted.",
                    retryable=False,
                    message_id=generation.id,
                ),
                retention=retention,
            )
        return
    frame: schemas.AiComplete | schemas.AiError
    if error is None:
        event, frame = "ai_complete", schemas.AiComplete(store.to_message(row))
    else:
        event = "error"
        frame = schemas.AiError(
            code=error.code, detail=error.detail, retryable=error.retryable, message_id=generation.id
        )
    # The release goes first in the same round trip: once a client sees the terminal frame, the conversation is free.
    release_first = release_command(generation.conversation_id, generation.id)
    await streams.append(generation.id, event, frame, retention=retention, first=(release_first,))


# The outcome in one statement (atomic without BEGIN/COMMIT): the message, only while it is still ``streaming`` (a
# reader may have settled it as lost, or the conversation is gone), and with it the conversation's activity time.
_STORE_OUTCOME = """
WITH message AS (
    UPDATE ai_messages
    SET content = {}, status = {}, error_code = {}, error_detail = {}, prompt_tokens = {}, output_tokens = {},
        total_tokens = {}, first_token_ms = {}, completed_at = {}
    WHERE id = {} AND status = 'streaming'
    RETURNING *
), conversation AS (
    UPDATE ai_conversations SET updated_at = {} WHERE id = {} AND EXISTS (SELECT 1 FROM message)
)"""
_AND_RECORD_USAGE = f", usage AS ({quota.add_usage_sql('WHERE EXISTS (SELECT 1 FROM message)')})"  # noqa: S608 - constants only


async def store_outcome(
    generation: Generation, status: str, text: str, error: ProviderError | None
) -> dict[str, Any] | None:
    """Write the final message (only if it is still ``streaming``), usage, and the follow-up jobs."""
    usage = generation.usage
    now = datetime.now(tz=UTC)
    sql = _STORE_OUTCOME
    args: list[Any] = [
        text, status, error.code if error else None, error.detail if error else None, usage.prompt_tokens,
        usage.output_tokens, usage.total_tokens, generation.first_token_ms, now, generation.message_id,
        now, generation.conversation["id"],
    ]  # fmt: skip
    if usage.total_tokens:
        sql += _AND_RECORD_USAGE
        args += [generation.owner_id, quota.today(), usage.prompt_tokens, usage.output_tokens, usage.total_tokens]
    async with unit_of_work(transaction=False):
        rows = await Message.raw(sql + "\nSELECT * FROM message", *args)
        if rows:
            await enqueue_follow_ups(generation, status)
    return rows[0] if rows else None


async def enqueue_follow_ups(generation: Generation, status: str) -> None:
    from salon.ai import jobs as ai_jobs  # jobs import services; imported here to keep module loading acyclic

    conversation = generation.conversation
    if status == "complete" and not conversation["title_set_by_user"] and not conversation["title"]:
        await jobs.enqueue(
            ai_jobs.title_conversation, key=f"ai-title:{generation.conversation_id}",
            conversation_id=generation.conversation_id,
        )  # fmt: skip
    if generation.overflow:
        await jobs.enqueue(
            ai_jobs.roll_context_summary, key=f"ai-context-summary:{generation.conversation_id}",
            conversation_id=generation.conversation_id,
        )  # fmt: skip


async def request_stop(message_id: str) -> None:
    """Ask the generation of ``message_id`` to stop, wherever it runs."""
    local = running_here(message_id)
    if local is not None:
        local.request_stop()
    await valkey_client.client().set(stop_key(message_id), "1", ex=STOP_TTL_SECONDS)


async def fail_if_abandoned(conversation_id: uuid.UUID, message_id: uuid.UUID, retention: int) -> bool:
    """Mark a ``streaming`` message whose generation is gone (its process died) as ``failed``, keeping the text that
    reached its stream, and end the stream. Safe to call from any process, any number of times."""
    holder = await valkey_client.client().get(lock_key(str(conversation_id)))
    if holder == str(message_id):
        return False
    text = "".join(await streams.chunk_texts(str(message_id)))
    detail = "The server producing this reply stopped before it finished; the text that arrived is kept."
    async with unit_of_work():
        rows = (
            await Message.update(
                {
                    Message.status: "failed",
                    Message.content: text,
                    Message.error_code: "generation_lost",
                    Message.error_detail: detail,
                    Message.completed_at: datetime.now(tz=UTC),
                }
            )
            .where((Message.id == message_id) & (Message.status == "streaming"))
            .returning(Message.id)
        )
    if not rows:
        return False
    frame = schemas.AiError(code="generation_lost", detail=detail, retryable=True, message_id=str(message_id))
    await streams.append(str(message_id), "error", frame, retention=retention)
    return True


async def shutdown() -> None:
    """Cancel running generations (their messages are stored as failed, and streams end)."""
    for task in list(_tasks):
        task.cancel()
    with contextlib.suppress(Exception):
        await asyncio.gather(*_tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def lifespan(_: Any) -> AsyncIterator[None]:
    """App lifespan: on exit, wait for this process's generations to record how they ended, while the stores are
    still open (the shutdown signal has already interrupted them), then close the provider."""
    try:
        yield
    finally:
        await shutdown()
        await close_provider()
