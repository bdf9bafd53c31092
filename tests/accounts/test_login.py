"""POST /api/v1/auth/login: credentials, one answer for unknown user and wrong password, hash upgrades."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import DEFAULT_PASSWORD, create_user

LOGIN = "/api/v1/auth/login"


async def test_login_with_username_or_email_ignoring_case(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")

    for login in ("alice", "ALICE", "alice@example.com", " Alice@Example.com "):
        response = await client.post(LOGIN, json={"login": login, "password": DEFAULT_PASSWORD})
        assert response.status_code == 200, (login, response.text)
        body = response.json()
        assert body["user"]["id"] == user.id
        assert body["token_type"] == "bearer"
        assert body["refresh_token"] != user.refresh_token
        me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.status_code == 200


async def test_unknown_user_and_wrong_password_get_the_same_answer(client: httpx.AsyncClient) -> None:
    await create_user(client, "alice")

    wrong_password = await client.post(LOGIN, json={"login": "alice", "password": "not the password at all"})
    unknown_user = await client.post(LOGIN, json={"login": "nobody", "password": DEFAULT_PASSWORD})

    assert wrong_password.status_code == unknown_user.status_code == 401
    strip = lambda r: {k: v for k, v in r.json().items() if k != "request_id"}  # noqa: E731
    assert strip(wrong_password) == strip(unknown_user)
    assert "password" in wrong_password.json()["detail"]


async def test_login_body_is_validated(client: httpx.AsyncClient) -> None:
    assert (await client.post(LOGIN, json={"login": "alice"})).status_code == 400
    assert (await client.post(LOGIN, json={"login": "", "password": "x"})).status_code == 400
    assert (await client.post(LOGIN, json={"login": "a", "password": "x" * 257})).status_code == 400
    assert (await client.post(LOGIN, json={"login": "a", "password": "x", "extra": 1})).status_code == 400


async def test_hash_is_upgraded_on_login_when_parameters_change(
    client: httpx.AsyncClient, settings: Any, app_factory: Any
) -> None:
    from salon.accounts.tables import User

    await create_user(client, "alice")
    old = await User.select(User.password_hash).where(User.username_key == "alice").first()
    assert old is not None
    assert f"t={settings.password_hash_time_cost}," in old["password_hash"]

    stronger = app_factory(password_hash_time_cost=settings.password_hash_time_cost + 1)
    async with stronger as other_client:
        response = await other_client.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD})
        assert response.status_code == 200, response.text

    new = await User.select(User.password_hash).where(User.username_key == "alice").first()
    assert new is not None
    assert new["password_hash"] != old["password_hash"]
    assert f"t={settings.password_hash_time_cost + 1}," in new["password_hash"]
    # and the upgraded hash still verifies with the original app
    again = await client.post(LOGIN, json={"login": "alice", "password": DEFAULT_PASSWORD})
    assert again.status_code == 200


@pytest.mark.parametrize("login", ["alice", "alice@example.com"])
async def test_deactivated_account_cannot_sign_in(client: httpx.AsyncClient, login: str) -> None:
    user = await create_user(client, "alice")
    gone = await client.request("DELETE", "/api/v1/users/me", headers=user.headers, json={"password": DEFAULT_PASSWORD})
    assert gone.status_code == 204

    response = await client.post(LOGIN, json={"login": login, "password": DEFAULT_PASSWORD})

    assert response.status_code == 401
    assert response.json()["code"] == "account_deactivated"
