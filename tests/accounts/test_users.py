"""/users/me (read, edit, password, deactivate), public profiles, and the purge of deactivated accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.helpers import DEFAULT_PASSWORD, create_user

ME = "/api/v1/users/me"
NEW_PASSWORD = "a brand new passphrase"


async def test_me_needs_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get(ME)

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(ME, headers={"Authorization": "Bearer nonsense"})).status_code == 401


async def test_patch_me_changes_only_given_fields(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice", display_name="Alice")

    response = await client.patch(ME, headers=user.headers, json={"bio": "  Hello  ", "website": "https://a.example"})

    assert response.status_code == 200, response.text
    me = response.json()
    assert me["bio"] == "Hello"
    assert me["website"] == "https://a.example"
    assert me["display_name"] == "Alice"
    assert (await client.get(ME, headers=user.headers)).json()["bio"] == "Hello"


async def test_patch_me_validates(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")

    for bad in ({"bio": "x" * 501}, {"website": "javascript:alert(1)"}, {"role": "admin"}, {"display_name": 5}):
        response = await client.patch(ME, headers=user.headers, json=bad)
        assert response.status_code == 400, bad
    assert (await client.get(ME, headers=user.headers)).json()["role"] == "user"


async def test_public_profile_has_no_email(client: httpx.AsyncClient) -> None:
    alice = await create_user(client, "Alice")
    await client.patch(ME, headers=alice.headers, json={"bio": "hi"})
    bob = await create_user(client, "bob")

    for headers in ({}, bob.headers):
        response = await client.get("/api/v1/users/alice", headers=headers)
        assert response.status_code == 200
        profile = response.json()
        assert profile["id"] == alice.id
        assert profile["username"] == "Alice"
        assert profile["bio"] == "hi"
        assert "email" not in profile
        assert "example.com" not in response.text


async def test_public_profile_404_for_unknown(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/users/nobody")

    assert response.status_code == 404
    assert "nobody" in response.json()["detail"]


async def test_password_change_needs_the_current_password(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")

    wrong = await client.post(
        f"{ME}/password",
        headers=user.headers,
        json={"current_password": "wrong one here", "new_password": NEW_PASSWORD},
    )
    weak = await client.post(
        f"{ME}/password", headers=user.headers, json={"current_password": DEFAULT_PASSWORD, "new_password": "short"}
    )

    assert wrong.status_code == 401
    assert weak.status_code == 422
    login = await client.post("/api/v1/auth/login", json={"login": "alice", "password": DEFAULT_PASSWORD})
    assert login.status_code == 200


async def test_password_change_ends_other_sessions_only(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")
    other = (await client.post("/api/v1/auth/login", json={"login": "alice", "password": DEFAULT_PASSWORD})).json()

    response = await client.post(
        f"{ME}/password",
        headers=user.headers,
        json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 204
    assert (await client.get(ME, headers=user.headers)).status_code == 200
    assert (await client.get(ME, headers={"Authorization": f"Bearer {other['access_token']}"})).status_code == 401
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert refresh.status_code == 401
    old = await client.post("/api/v1/auth/login", json={"login": "alice", "password": DEFAULT_PASSWORD})
    new = await client.post("/api/v1/auth/login", json={"login": "alice", "password": NEW_PASSWORD})
    assert old.status_code == 401
    assert new.status_code == 200


async def deactivate(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    return await client.request("DELETE", ME, headers=headers, json=body)


async def test_deactivate_needs_the_password(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")

    assert (await deactivate(client, user.headers)).status_code == 401
    assert (await deactivate(client, user.headers, password="wrong password!")).status_code == 401
    assert (await client.get("/api/v1/users/alice")).status_code == 200


async def test_deactivate_hides_the_profile_and_ends_every_session(client: httpx.AsyncClient) -> None:
    user = await create_user(client, "alice")
    other = (await client.post("/api/v1/auth/login", json={"login": "alice", "password": DEFAULT_PASSWORD})).json()

    response = await deactivate(client, user.headers, password=DEFAULT_PASSWORD)

    assert response.status_code == 204
    assert (await client.get("/api/v1/users/alice")).status_code == 404
    assert (await client.get(ME, headers=user.headers)).status_code == 401
    assert (await client.get(ME, headers={"Authorization": f"Bearer {other['access_token']}"})).status_code == 401
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert refresh.status_code == 401
    # the username stays taken while the data is kept
    again = await client.post(
        "/api/v1/auth/register", json={"username": "alice", "email": "new@example.com", "password": NEW_PASSWORD}
    )
    assert again.status_code == 409


async def test_purge_deletes_accounts_after_the_retention_period(client: httpx.AsyncClient, settings: Any) -> None:
    from salon.accounts.jobs import purge_deactivated_users
    from salon.accounts.services import purge_deactivated
    from salon.accounts.tables import AuthSession, User

    alice = await create_user(client, "alice")
    bob = await create_user(client, "bob")
    carol = await create_user(client, "carol")
    await deactivate(client, alice.headers, password=DEFAULT_PASSWORD)
    await deactivate(client, bob.headers, password=DEFAULT_PASSWORD)
    long_ago = datetime.now(tz=UTC) - timedelta(days=settings.deactivated_retention_days, minutes=1)
    await User.update({User.deactivated_at: long_ago}).where(User.username_key == "alice")

    await purge_deactivated_users({})

    remaining = {row["username"] for row in await User.select(User.username)}
    assert remaining == {"bob", "carol"}
    assert not await AuthSession.exists().where(AuthSession.user == alice.id)
    # bob is purged once his 30 days are over too
    later = datetime.now(tz=UTC) + timedelta(days=settings.deactivated_retention_days, minutes=1)
    assert await purge_deactivated(settings, now=later) == [bob.id]
    assert carol.id in {str(row["id"]) for row in await User.select(User.id)}
