"""POST /api/v1/auth/register: rules for usernames, emails and passwords, and what a new account gets."""

from __future__ import annotations

import httpx

from tests.helpers import DEFAULT_PASSWORD, create_user

REGISTER = "/api/v1/auth/register"


def body(**overrides: object) -> dict[str, object]:
    return {"username": "alice", "email": "alice@example.com", "password": DEFAULT_PASSWORD, **overrides}


async def test_register_returns_user_and_tokens(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json=body(display_name="Alice A."))

    assert response.status_code == 201, response.text
    data = response.json()
    assert data["token_type"] == "bearer"
    assert data["expires_in"] == 15 * 60
    assert data["access_token"]
    assert data["refresh_token"]
    assert data["user"]["username"] == "alice"
    assert data["user"]["email"] == "alice@example.com"
    assert data["user"]["display_name"] == "Alice A."
    assert data["user"]["role"] == "user"
    assert data["user"]["two_factor_enabled"] is False
    assert "password_hash" not in data["user"]
    me = await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {data['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == data["user"]["id"]


async def test_email_is_normalised(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json=body(email="  Alice@Example.COM "))

    assert response.status_code == 201, response.text
    assert response.json()["user"]["email"] == "alice@example.com"


async def test_duplicate_username_ignoring_case_is_409_naming_the_field(client: httpx.AsyncClient) -> None:
    await create_user(client, "alice")

    response = await client.post(REGISTER, json=body(username="ALICE", email="other@example.com"))

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"] == "username"


async def test_duplicate_email_is_409_naming_the_field(client: httpx.AsyncClient) -> None:
    await create_user(client, "alice")

    response = await client.post(REGISTER, json=body(username="alice2", email="ALICE@example.com"))

    assert response.status_code == 409
    assert response.json()["field"] == "email"


async def test_short_password_is_422_saying_why(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json=body(password="short"))

    assert response.status_code == 422
    assert response.json()["code"] == "password_too_short"
    assert "at least 10 characters" in response.json()["detail"]


async def test_common_password_is_422_saying_why(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json=body(password="Password123"))

    assert response.status_code == 422
    assert response.json()["code"] == "password_too_common"
    assert "commonly used" in response.json()["detail"]


async def test_password_equal_to_username_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json=body(username="longusername1", password="LongUsername1"))

    assert response.status_code == 422
    assert response.json()["code"] == "password_is_identity"


async def test_username_rules(client: httpx.AsyncClient) -> None:
    for bad in ("ab", "a" * 31, "has space", "dash-ed", "émile"):
        response = await client.post(REGISTER, json=body(username=bad))
        assert response.status_code == 400, (bad, response.text)
        assert "username" in response.text
    ok = await client.post(REGISTER, json=body(username="A_b_3", email="a@example.com"))
    assert ok.status_code == 201


async def test_bad_email_and_unknown_fields_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.post(REGISTER, json=body(email="not-an-email"))).status_code == 400
    unknown = await client.post(REGISTER, json=body(is_admin=True))
    assert unknown.status_code == 400
    assert "is_admin" in unknown.text
    missing = await client.post(REGISTER, json={"username": "alice"})
    assert missing.status_code == 400


async def test_role_cannot_be_chosen_at_registration(client: httpx.AsyncClient) -> None:
    response = await client.post(REGISTER, json=body(role="admin"))

    assert response.status_code == 400


async def test_stored_password_is_an_argon2id_hash(client: httpx.AsyncClient) -> None:
    from salon.accounts.tables import User

    user = await create_user(client, "alice")

    row = await User.select(User.password_hash).where(User.username_key == "alice").first()
    assert row is not None
    assert row["password_hash"].startswith("$argon2id$")
    assert DEFAULT_PASSWORD not in row["password_hash"]
    assert user.refresh_token
