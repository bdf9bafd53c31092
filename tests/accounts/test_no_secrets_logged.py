"""Nothing secret reaches the logs: passwords, access and refresh tokens, hashes, TOTP secrets, recovery codes.

The flows run in-process (file-descriptor capture of the app's JSON logs) and against a real server process at DEBUG
level, where the test reads everything that process wrote to stdout and stderr (structlog, stdlib loggers, Granian).
Each test first checks that it did see the requests' log lines, so an empty capture cannot pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pyotp
import pytest

from tests.helpers import DEFAULT_PASSWORD

NEW_PASSWORD = "another secret passphrase"
WRONG_PASSWORD = "my wrong guess 12345"


async def exercise_auth(http: httpx.AsyncClient, base: str = "") -> list[str]:
    """Register, sign in (right and wrong), refresh, reuse, 2FA, change password, log out. Returns every secret."""
    secrets: list[str] = [DEFAULT_PASSWORD, NEW_PASSWORD, WRONG_PASSWORD]
    registered = (
        await http.post(
            f"{base}/api/v1/auth/register",
            json={"username": "alice", "email": "alice@example.com", "password": DEFAULT_PASSWORD},
        )
    ).json()
    headers = {"Authorization": f"Bearer {registered['access_token']}"}
    await http.post(f"{base}/api/v1/auth/login", json={"login": "alice", "password": WRONG_PASSWORD})
    login = (await http.post(f"{base}/api/v1/auth/login", json={"login": "alice", "password": DEFAULT_PASSWORD})).json()
    refreshed = (await http.post(f"{base}/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})).json()
    await http.post(f"{base}/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})  # reuse
    setup = (await http.post(f"{base}/api/v1/auth/2fa/setup", headers=headers)).json()
    code = pyotp.TOTP(setup["secret"]).now()
    enabled = (await http.post(f"{base}/api/v1/auth/2fa/enable", headers=headers, json={"code": code})).json()
    await http.post(
        f"{base}/api/v1/users/me/password",
        headers=headers,
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
    )
    await http.post(f"{base}/api/v1/auth/logout", headers=headers)
    await http.get(f"{base}/api/v1/users/me", headers=headers)  # a revoked token, sent again
    secrets += [registered["access_token"], registered["refresh_token"], login["access_token"]]
    secrets += [login["refresh_token"], refreshed["access_token"], refreshed["refresh_token"]]
    secrets += [setup["secret"], code, *enabled["recovery_codes"]]
    return secrets


async def stored_secrets() -> list[str]:
    from salon.accounts.tables import AuthSession, RefreshToken, User

    user = await User.select(User.password_hash).first()
    assert user is not None
    token_hashes = [row["token_hash"] for row in await RefreshToken.select(RefreshToken.token_hash)]
    assert await AuthSession.count() >= 2
    return [user["password_hash"], user["password_hash"].rsplit("$", 1)[-1], *token_hashes]


def assert_absent(secrets: list[str], text: str) -> None:
    leaked = [secret for secret in secrets if secret and secret in text]
    assert leaked == [], f"secrets found in logs: {leaked}"


async def test_app_logs_carry_no_secrets(client: httpx.AsyncClient, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()

    secrets = await exercise_auth(client)

    out, err = capfd.readouterr()
    logs = out + err
    assert '"route":"/api/v1/auth/login"' in logs
    assert_absent(secrets + await stored_secrets(), logs)


async def test_server_process_logs_carry_no_secrets(live_server_factory: Callable[..., Any]) -> None:
    server = live_server_factory({"SALON_LOG_LEVEL": "DEBUG"})

    async with httpx.AsyncClient(timeout=10) as http:
        secrets = await exercise_auth(http, server.url)
    server.stop()

    logs = server.log.read_text()
    assert "/api/v1/auth/refresh" in logs
    assert_absent(secrets + await stored_secrets(), logs)
