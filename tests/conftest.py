"""Test harness: real embedded Postgres and Valkey, started once per session; each test starts from empty stores.

Tests talk to the app over HTTP through httpx on the test's own event loop (``client``), or to real Granian processes
(``live_server``) where a test needs real streaming or two instances.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import QueryLog, ValkeyLog, resp_command_names, valkey_log_measuring

_TMP = Path(tempfile.mkdtemp(prefix="salon-test-"))


def _start_stores() -> Any:
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("VALKEY_URL", None)
    from salon.lib.embedded import EmbeddedStores

    stores = EmbeddedStores(_TMP / "data").start()
    os.environ.update(
        DATABASE_URL=stores.database_url or "",
        VALKEY_URL=stores.valkey_url or "",
        SALON_DATA_DIR=str(_TMP / "data"),
        SALON_ENVIRONMENT="test",
        SALON_SECRET_KEY="test-secret-key-that-is-long-enough-for-hs256-signing",
        SALON_LOG_LEVEL="INFO",  # the logging tests read the access log; pytest shows output only on failure
        PICCOLO_CONF="salon.piccolo_conf",
        # Many tests register many users from the one test-client address, and argon2's production cost (~150 ms
        # per hash on this machine) would dominate the suite. tests/accounts checks both settings explicitly.
        SALON_REGISTER_MAX_PER_IP_PER_HOUR="100000",
        SALON_PASSWORD_HASH_TIME_COST="1",
        SALON_PASSWORD_HASH_MEMORY_KIB="8192",
        SALON_PASSWORD_HASH_PARALLELISM="1",
    )
    return stores


STORES = _start_stores()


def pytest_unconfigure(config: pytest.Config) -> None:
    STORES.stop()
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
def settings() -> Any:
    from salon.settings import get_settings

    get_settings.cache_clear()
    return get_settings()


@pytest.fixture(scope="session", autouse=True)
async def migrated(settings: Any) -> None:
    from salon.cli import _migrate

    await _migrate()


@pytest.fixture(scope="session")
async def app(settings: Any, migrated: None) -> AsyncIterator[Any]:
    from salon.server import create_app

    application = create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:  # the lifespan's cancel scopes must enter and exit in one task
        async with application.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run_lifespan())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    yield application
    stop.set()
    await task


@pytest.fixture(autouse=True)
async def clean_stores(request: pytest.FixtureRequest) -> None:
    """Empty every table and Valkey before each test (cheaper than a database per test, just as isolated)."""
    import asyncpg
    from valkey.asyncio import Valkey

    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration'"
        )
        if tables:
            names = ", ".join(f'"{row["tablename"]}"' for row in tables)
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
    client = Valkey.from_url(os.environ["VALKEY_URL"])
    try:
        await client.flushdb()
    finally:
        await client.aclose()


@pytest.fixture
def run_jobs(app: Any, settings: Any) -> Callable[[], Any]:
    """Run real SAQ workers (in burst mode, on this loop), one queue after the other, until every queued job on every
    queue, and the jobs they enqueue (on either queue), ran."""
    from salon.lib import jobs
    from salon.worker import build_worker

    async def idle() -> bool:
        for name in jobs.QUEUES:
            if await jobs.queue(name).count("queued") or await jobs.queue(name).count("active"):
                return False
        return True

    async def run() -> None:
        for _ in range(20):
            for name in jobs.QUEUES:
                await build_worker(settings, jobs.queue(name), burst=True).start()
            if await idle():
                return
        raise AssertionError("jobs kept enqueueing more jobs")

    return run


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def query_log(monkeypatch: pytest.MonkeyPatch) -> QueryLog:
    """A ``QueryLog`` of what the app sends to Postgres during the test (``query_log.reset()`` before the part you
    measure, then ``query_log.count`` / ``query_log.statements``)."""
    from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

    log = QueryLog()

    def record(owner: type, name: str, describe: Callable[..., str]) -> None:
        original = getattr(owner, name)

        async def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
            log.statements.append(describe(*args))
            return await original(self, *args, **kwargs)

        monkeypatch.setattr(owner, name, recorded)

    record(PostgresEngine, "run_querystring", lambda querystring, *_: str(querystring))
    record(PostgresEngine, "run_ddl", lambda ddl, *_: ddl)
    for name in ("begin", "commit", "rollback"):
        record(PostgresTransaction, name, lambda name=name: name.upper())
    return log


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_live_server(env: dict[str, str] | None = None) -> LiveServer:
    port = free_port()
    log = _TMP / f"granian-{port}.log"
    full_env = {**os.environ, "SALON_PORT": str(port), **(env or {})}
    command = [
        sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "salon.server:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--workers-kill-timeout", "5",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"granian exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return LiveServer(process, url, log)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"granian did not become healthy:\n{log.read_text()}")


@pytest.fixture
def live_server_factory() -> Iterator[Callable[..., LiveServer]]:
    servers: list[LiveServer] = []

    def factory(env: dict[str, str] | None = None) -> LiveServer:
        server = start_live_server(env)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


async def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05) -> Any:
    """Poll an async or sync predicate until it returns something truthy (for work done by background jobs)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


@pytest.fixture
def valkey_log(query_log: QueryLog, monkeypatch: pytest.MonkeyPatch) -> ValkeyLog:
    import redis.asyncio.connection as redis_connection
    import valkey.asyncio.connection as valkey_connection

    log = ValkeyLog(query_log)
    for module in (valkey_connection, redis_connection):
        original = module.AbstractConnection.send_packed_command

        def recording(original: Any) -> Any:
            async def send_packed_command(self: Any, command: Any, check_health: bool = True) -> None:
                if valkey_log_measuring.get():
                    if isinstance(command, str):
                        command = command.encode()
                    if not isinstance(command, bytes | bytearray | memoryview):
                        command = list(command)  # an iterable of chunks: read it once, send the same chunks
                    packed = b"".join(command) if isinstance(command, list) else bytes(command)
                    log.trips.append((len(query_log.statements), resp_command_names(packed)))
                await original(self, command, check_health)

            return send_packed_command

        monkeypatch.setattr(module.AbstractConnection, "send_packed_command", recording(original))
    return log
