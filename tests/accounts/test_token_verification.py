"""An access token that verified once is remembered (``salon.lib.auth``): later requests skip the signature check but
must still refuse it once it expires, is revoked, or is altered."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import msgspec
import pytest

from salon.lib import auth
from salon.lib.auth import issue_access_token
from tests.conftest import wait_for
from tests.helpers import create_user

ME = "/api/v1/users/me"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def short_lived_token(settings: Any, user_access_token: str, ttl_seconds: int) -> str:
    claims = jwt.decode(user_access_token, options={"verify_signature": False})
    token, _, _ = issue_access_token(
        msgspec.structs.replace(settings, access_token_ttl_seconds=ttl_seconds),
        user_id=claims["sub"],
        username=claims["extras"]["username"],
        role=claims["extras"]["role"],
        session_id=claims["extras"]["sid"],
    )
    return token


async def test_a_remembered_token_is_refused_once_it_expires(client: httpx.AsyncClient, settings: Any) -> None:
    user = await create_user(client)
    token = short_lived_token(settings, user.access_token, ttl_seconds=1)
    assert (await client.get(ME, headers=bearer(token))).status_code == 200  # verified and remembered

    async def refused() -> bool:
        return (await client.get(ME, headers=bearer(token))).status_code == 401

    assert await wait_for(refused, timeout=4, interval=0.2)
    response = await client.get(ME, headers=bearer(token))
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_token"


async def test_a_remembered_token_is_refused_after_logout(client: httpx.AsyncClient) -> None:
    user = await create_user(client)
    assert (await client.get(ME, headers=user.headers)).status_code == 200

    assert (await client.post("/api/v1/auth/logout", headers=user.headers)).status_code in (200, 204)

    assert (await client.get(ME, headers=user.headers)).status_code == 401


async def test_an_altered_copy_of_a_remembered_token_is_refused(client: httpx.AsyncClient) -> None:
    user = await create_user(client)
    assert (await client.get(ME, headers=user.headers)).status_code == 200
    header, payload, signature = user.access_token.split(".")
    forged_claims = jwt.decode(user.access_token, options={"verify_signature": False}) | {
        "sub": "00000000-0000-0000-0000-000000000000"
    }
    forged_payload = jwt.encode(forged_claims, "not-the-secret-of-this-app-at-all-32b", algorithm="HS256").split(".")[1]

    for altered in (f"{header}.{forged_payload}.{signature}", f"{header}.{payload}.{signature[:-2]}AA"):
        assert (await client.get(ME, headers=bearer(altered))).status_code == 401


async def test_the_remembered_tokens_are_bounded(
    client: httpx.AsyncClient, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "VERIFIED_TOKENS_MAX", 2)
    user = await create_user(client)
    tokens = [short_lived_token(settings, user.access_token, ttl_seconds=60 + n) for n in range(4)]

    for token in tokens:
        assert (await client.get(ME, headers=bearer(token))).status_code == 200

    assert len(auth._verified_tokens) == 2
    assert list(auth._verified_tokens) == tokens[-2:]  # the least recently used went first
