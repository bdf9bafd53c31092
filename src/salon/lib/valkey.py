"""The process's Valkey clients, created in the app (or worker) lifespan on the loop that uses them.

``client()`` is for commands that answer at once. Its pool is bounded (``SALON_VALKEY_MAX_CONNECTIONS``): a burst of
work, such as thousands of event streams opening together, waits (up to ``POOL_WAIT_SECONDS``) for a free connection
instead of opening a connection per waiting command (unbounded, a 5,000-stream burst held ~5,000 connections and
stalled the process for seconds while it opened them). ``blocking_client()`` is for commands that wait on the server
(``XREAD BLOCK``): they hold a connection for seconds, so they get a pool of their own and never starve the first.

``pipelined(...)`` is for small writes that many tasks of the process make all the time (the chunks of thousands of
AI replies, their watchdogs): the commands of every caller waiting at that moment go out together, in one pipeline on
one connection, while the previous such pipeline is in flight. With a command of its own per reply, 2,000 replies
streaming at 30 ms a chunk held all 64 pooled connections, and the requests waiting for one failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from valkey.asyncio import BlockingConnectionPool, Valkey
from valkey.exceptions import ConnectionError as ValkeyConnectionError
from valkey.exceptions import NoScriptError

POOL_WAIT_SECONDS = 15  # then the request fails with 503 (salon.lib.errors.store_unavailable_handler)
_OPTIONS: dict[str, Any] = {"decode_responses": True, "socket_connect_timeout": 2, "socket_timeout": 5}
_client: Valkey | None = None
_blocking: Valkey | None = None
_shared: SharedPipeline | None = None


def normalise_url(url: str) -> str:
    """valkey:// is what operators write; redis-py (used by SAQ) only knows redis://."""
    if url.startswith("valkey://"):
        return "redis://" + url.removeprefix("valkey://")
    if url.startswith("valkeys://"):
        return "rediss://" + url.removeprefix("valkeys://")
    return url


async def connect(url: str, *, max_connections: int) -> Valkey:
    global _client, _blocking, _shared
    pool = BlockingConnectionPool.from_url(
        normalise_url(url), max_connections=max_connections, timeout=POOL_WAIT_SECONDS, health_check_interval=30,
        **_OPTIONS,
    )  # fmt: skip
    _client = Valkey.from_pool(pool)
    _blocking = Valkey.from_url(normalise_url(url), **_OPTIONS)
    _shared = SharedPipeline(_client)
    return _client


async def close() -> None:
    global _client, _blocking, _shared
    if _shared is not None:
        await _shared.drain()
    for opened in (_client, _blocking):
        if opened is not None:
            await opened.aclose()
    _client = _blocking = _shared = None


def is_connected() -> bool:
    return _client is not None


def client() -> Any:
    """The connected ``valkey.asyncio.Valkey`` client. Typed ``Any`` on purpose: valkey-py annotates every command as
    ``Awaitable[T] | T`` (one stub for the sync and async clients), which would make each ``await`` a type error."""
    if _client is None:
        raise RuntimeError("Valkey is not connected: this code must run inside the app or worker lifespan")
    return _client


def blocking_client() -> Any:
    """The client for commands that block on the server (``XREAD BLOCK``), on a pool of its own."""
    if _blocking is None:
        raise RuntimeError("Valkey is not connected: this code must run inside the app or worker lifespan")
    return _blocking


Command = tuple[Any, ...]  # the arguments of one command, as sent: ("XADD", key, "*", field, value, ...)


async def pipelined(*commands: Command) -> list[Any]:
    """Run ``commands``, in order, in the pipeline this process shares (see the module doc), and return their results.
    If any of them failed, the first such error is raised (the others still ran). A caller that is cancelled does not
    take back its commands: once called, they are sent."""
    return await submit(*commands)


def submit(*commands: Command) -> asyncio.Future[list[Any]]:
    """``pipelined`` without waiting: the commands are queued at once, behind everything submitted before them, and
    the future has their results (or the first error)."""
    if _shared is None:
        raise RuntimeError("Valkey is not connected: this code must run inside the app or worker lifespan")
    return _shared.submit(commands)


class SharedPipeline:
    """Commands of many callers sent together: one pipeline at a time is in flight, and whatever is submitted
    meanwhile goes in the next. Each caller's commands stay together and in order, and callers in the order they
    came (their futures are answered in that order too), so two writes of one caller reach Valkey in the order made."""

    def __init__(self, connection: Valkey) -> None:
        self._connection = connection
        self._waiting: list[tuple[Sequence[Command], asyncio.Future[list[Any]]]] = []
        self._sending: asyncio.Task[None] | None = None

    def submit(self, commands: Sequence[Command]) -> asyncio.Future[list[Any]]:
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._waiting.append((commands, future))
        if self._sending is None:
            self._sending = asyncio.create_task(self._send_waiting(), name="valkey-shared-pipeline")
        return future  # a caller that cancels it only drops the answer: its commands are sent

    async def drain(self) -> None:
        """Return once everything submitted so far has been sent (and answered, or failed)."""
        while self._sending is not None:
            await asyncio.shield(self._sending)

    async def _send_waiting(self) -> None:
        batch: list[tuple[Sequence[Command], asyncio.Future[list[Any]]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    async with self._connection.pipeline(transaction=False) as pipe:
                        for commands, _ in batch:
                            for command in commands:
                                pipe.execute_command(*command)
                        results = await pipe.execute(raise_on_error=False)
                except Exception as exc:  # the connection failed: every caller of this batch gets the error
                    _settle(batch, exc)
                    continue
                start = 0
                for commands, future in batch:
                    answered, start = results[start : start + len(commands)], start + len(commands)
                    error = next((result for result in answered if isinstance(result, Exception)), None)
                    if future.done():
                        continue
                    if error is not None:
                        future.set_exception(error)
                    else:
                        future.set_result(answered)
                batch = []
        finally:  # cancelled (the loop is closing): nobody is left waiting forever
            stopped = ValkeyConnectionError("the shared Valkey pipeline stopped before sending this")
            _settle(batch + self._waiting, stopped)
            self._waiting = []
            self._sending = None


def _settle(batch: Sequence[tuple[Sequence[Command], asyncio.Future[list[Any]]]], error: Exception) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error)


_scripts: dict[str, Any] = {}


def script(source: str) -> Any:
    """The Lua ``source`` registered on ``client()`` (a valkey-py ``Script``: called, it sends EVALSHA and loads the
    script on NOSCRIPT), registered once per connected client."""
    connected = client()
    registered = _scripts.get(source)
    if registered is None or registered.registered_client is not connected:
        registered = _scripts[source] = connected.register_script(source)
    return registered


@dataclass(frozen=True)
class ScriptCall:
    """One call of a registered Valkey script (``client.register_script``): sent as EVALSHA, loaded when missing."""

    script: Any
    keys: Sequence[Any]
    args: Sequence[Any]
    description: str = ""
    detail: Any = None  # logged when the call fails (a job's arguments, so it can be enqueued again by hand)


async def run_scripts(calls: Sequence[ScriptCall], *, raise_on_error: bool = False) -> list[Any]:
    """Send ``calls`` in ONE pipeline of EVALSHAs and return their results in order, an error in place of a call that
    failed (or, with ``raise_on_error``, the first such error raised). A script the server does not know (after a
    restart or SCRIPT FLUSH) is loaded and its calls sent again: a second round trip only then. (valkey-py's own
    ``script(client=pipeline)`` sends ``SCRIPT EXISTS`` first, a round trip more every time.)"""
    connection = client()
    results = list(await _pipeline(connection, calls))
    missing = [index for index, result in enumerate(results) if isinstance(result, NoScriptError)]
    if missing:
        for script in {id(calls[index].script): calls[index].script for index in missing}.values():
            script.sha = await connection.script_load(script.script)
        again = await _pipeline(connection, [calls[index] for index in missing])
        for index, result in zip(missing, again, strict=True):
            results[index] = result
    if raise_on_error and (error := next((r for r in results if isinstance(r, Exception)), None)) is not None:
        raise error
    return results


async def _pipeline(connection: Any, calls: Sequence[ScriptCall]) -> list[Any]:
    async with connection.pipeline(transaction=False) as pipe:
        for call in calls:
            pipe.evalsha(call.script.sha, len(call.keys), *call.keys, *call.args)
        return await pipe.execute(raise_on_error=False)  # type: ignore[no-any-return]
