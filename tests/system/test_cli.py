"""The salon command as an operator meets it: clear failures, and `salon dev` leaving nothing behind."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from tests.conftest import free_port

SALON = [sys.executable, "-m", "salon"]


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "VALKEY_URL")}
    env.update(overrides)
    return env


def test_bad_database_url_fails_with_a_clear_message() -> None:
    result = subprocess.run(
        [*SALON, "migrate"],
        env=_env(DATABASE_URL="postgresql://nobody@127.0.0.1:1/nothing"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "cannot connect to Postgres at DATABASE_URL" in result.stderr


def test_malformed_database_url_names_the_variable() -> None:
    result = subprocess.run(
        [*SALON, "serve"], env=_env(DATABASE_URL="mysql://x", VALKEY_URL="redis://127.0.0.1:1"),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "DATABASE_URL must be a postgresql:// URL" in result.stderr


def test_invalid_number_names_the_variable() -> None:
    result = subprocess.run(
        [*SALON, "migrate"], env=_env(SALON_PORT="eighty"), capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "SALON_PORT is invalid" in result.stderr


def test_serve_refuses_to_run_without_store_urls() -> None:
    result = subprocess.run([*SALON, "serve"], env=_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "needs DATABASE_URL and VALKEY_URL" in result.stderr


def test_ready_is_503_naming_valkey_when_valkey_is_down(live_server_factory) -> None:  # type: ignore[no-untyped-def]
    server = live_server_factory({"VALKEY_URL": f"redis://127.0.0.1:{free_port()}"})
    response = httpx.get(f"{server.url}/ready", timeout=10)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert "valkey" in body["detail"]
    assert body["checks"]["postgres"] == "ok"
    assert body["checks"]["valkey"].startswith("unreachable")


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _start_dev(data_dir: Path, port: int) -> tuple[subprocess.Popen[bytes], list[psutil.Process]]:
    env = _env(SALON_DATA_DIR=str(data_dir), SALON_PORT=str(port), SALON_SECRET_KEY="")
    process = subprocess.Popen([*SALON, "dev"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return process, _descendants(process.pid)
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise AssertionError("salon dev did not become ready in 90 s")


def _postgres_of(data_dir: Path) -> list[psutil.Process]:
    return [
        p
        for p in psutil.process_iter(["name", "cmdline"])
        if p.info["name"] == "postgres" and str(data_dir) in " ".join(p.info["cmdline"] or [])
    ]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM])
def test_dev_runs_everything_and_stops_without_leftovers(tmp_path: Path, stop_signal: signal.Signals) -> None:
    data_dir = tmp_path / "salon-data"
    port = free_port()
    process, children = _start_dev(data_dir, port)
    names = " ".join(" ".join(c.cmdline()) for c in children if c.is_running())
    for expected in ("granian", "salon worker", "valkey-server"):
        assert expected in names
    assert _postgres_of(data_dir), "embedded postgres should be running"
    # Data written now must survive a restart.
    marker = f"restart-marker-{port}"

    async def write_marker() -> None:
        conn = await asyncpg.connect(f"postgresql://postgres:@/salon?host={data_dir / 'postgres'}")
        await conn.execute("CREATE TABLE IF NOT EXISTS restart_probe (v text)")
        await conn.execute("INSERT INTO restart_probe VALUES ($1)", marker)
        await conn.close()

    asyncio.run(write_marker())

    process.send_signal(stop_signal)
    assert process.wait(60) == 0
    time.sleep(0.5)
    leftovers = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert leftovers == [], f"processes left behind: {[c.cmdline() for c in leftovers]}"
    assert _postgres_of(data_dir) == []

    process, _ = _start_dev(data_dir, port)
    try:

        async def read_marker() -> str:
            conn = await asyncpg.connect(f"postgresql://postgres:@/salon?host={data_dir / 'postgres'}")
            value = await conn.fetchval("SELECT v FROM restart_probe")
            await conn.close()
            return str(value)

        assert asyncio.run(read_marker()) == marker
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    assert _postgres_of(data_dir) == []
