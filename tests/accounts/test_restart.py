"""A registered user can still sign in after `salon dev` (what `make dev` runs) is stopped and started again."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.conftest import free_port
from tests.helpers import DEFAULT_PASSWORD
from tests.system.test_cli import _start_dev


def stop(process) -> None:  # type: ignore[no-untyped-def]
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == 0


def test_accounts_and_sessions_survive_a_dev_restart(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "salon-data", free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    process, _ = _start_dev(data_dir, port)
    try:
        registered = httpx.post(
            f"{base}/auth/register",
            json={"username": "alice", "email": "alice@example.com", "password": DEFAULT_PASSWORD},
            timeout=10,
        )
        assert registered.status_code == 201, registered.text
    finally:
        stop(process)

    process, _ = _start_dev(data_dir, port)
    try:
        login = httpx.post(f"{base}/auth/login", json={"login": "alice", "password": DEFAULT_PASSWORD}, timeout=10)
        assert login.status_code == 200, login.text
        # the session and signing secret persisted too: tokens issued before the restart still work
        old_token = {"Authorization": f"Bearer {registered.json()['access_token']}"}
        assert httpx.get(f"{base}/users/me", headers=old_token, timeout=10).status_code == 200
        refresh = httpx.post(
            f"{base}/auth/refresh", json={"refresh_token": registered.json()["refresh_token"]}, timeout=10
        )
        assert refresh.status_code == 200
    finally:
        stop(process)
