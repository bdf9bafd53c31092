from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.helpers import QueryLog
from tests.social.conftest import emitted, make_users

__all__ = ["ValkeyLog", "emitted", "make_users", "valkey_log"]

_measuring: contextvars.ContextVar[bool] = contextvars.ContextVar("valkey_log_measuring", default=False)


def _command_names(packed: bytes) -> list[str]:
    """The command names in what one socket write sends (RESP arrays of bulk strings; a pipeline sends several)."""
    names: list[str] = []
    position = 0
    while position < len(packed):
        assert packed[position : position + 1] == b"*", packed[position : position + 40]
        end = packed.index(b"\r\n", position)
        count = int(packed[position + 1 : end])
        position = end + 2
        for index in range(count):
            end = packed.index(b"\r\n", position)
            length = int(packed[position + 1 : end])
            if index == 0:
                names.append(packed[end + 2 : end + 2 + length].decode().upper())
            position = end + 2 + length + 2
    return names


class ValkeyLog:
    """The Valkey round trips the code under ``measuring()`` makes: every socket write of a valkey-py or redis-py
    (SAQ's) connection, which sends one command or a whole pipeline and then waits for the reply. Each trip is
    recorded with its command names and with how many database statements ``query_log`` had recorded before it, so
    a test can tell the trips after a statement (after a create's commit) from those before. Only records; tasks
    that did not start inside ``measuring()`` (the app's background loops) are not counted."""

    def __init__(self, query_log: QueryLog) -> None:
        self.query_log = query_log
        self.trips: list[tuple[int, list[str]]] = []

    @contextmanager
    def measuring(self) -> Iterator[None]:
        self.trips.clear()
        self.query_log.reset()
        token = _measuring.set(True)
        try:
            yield
        finally:
            _measuring.reset(token)

    def after_statement(self, marker: str) -> list[list[str]]:
        """The commands of each trip made after the last database statement containing ``marker``."""
        matching = [number for number, sql in enumerate(self.query_log.statements, 1) if marker in sql]
        assert matching, f"no statement contains {marker!r}:\n{self.query_log}"
        return [names for sent_after, names in self.trips if sent_after >= matching[-1]]


@pytest.fixture
def valkey_log(query_log: QueryLog, monkeypatch: pytest.MonkeyPatch) -> ValkeyLog:
    import redis.asyncio.connection as redis_connection
    import valkey.asyncio.connection as valkey_connection

    log = ValkeyLog(query_log)
    for module in (valkey_connection, redis_connection):
        original = module.AbstractConnection.send_packed_command

        def recording(original: Any) -> Any:
            async def send_packed_command(self: Any, command: Any, check_health: bool = True) -> None:
                if _measuring.get():
                    if isinstance(command, str):
                        command = command.encode()
                    if not isinstance(command, bytes | bytearray | memoryview):
                        command = list(command)  # an iterable of chunks: read it once, send the same chunks
                    packed = b"".join(command) if isinstance(command, list) else bytes(command)
                    log.trips.append((len(query_log.statements), _command_names(packed)))
                await original(self, command, check_health)

            return send_packed_command

        monkeypatch.setattr(module.AbstractConnection, "send_packed_command", recording(original))
    return log
