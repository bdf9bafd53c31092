"""Roles as guards, and `salon admin create-user` on the command line."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import jwt

from tests.helpers import DEFAULT_PASSWORD, create_user

ADMIN_PASSWORD = "the admin's long passphrase"


def salon_admin(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "salon", "admin", *args],
        env=dict(os.environ),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def sign_in(client: httpx.AsyncClient, login: str, password: str) -> dict:
    response = await client.post("/api/v1/auth/login", json={"login": login, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def make_admin(client: httpx.AsyncClient) -> dict[str, str]:
    result = salon_admin(
        "create-user", "--username", "root", "--email", "root@example.com", "--role", "admin",
        "--password", ADMIN_PASSWORD,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "created admin root" in result.stdout
    tokens = await sign_in(client, "root", ADMIN_PASSWORD)
    assert tokens["user"]["role"] == "admin"
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def test_cli_creates_an_admin_who_can_sign_in(client: httpx.AsyncClient) -> None:
    headers = await make_admin(client)

    me = await client.get("/api/v1/users/me", headers=headers)

    assert me.json()["role"] == "admin"
    assert ADMIN_PASSWORD not in me.text


async def test_cli_prompts_for_the_password(client: httpx.AsyncClient) -> None:
    result = salon_admin("create-user", "--username", "mod", "--email", "mod@example.com", "--role", "moderator",
                         stdin=ADMIN_PASSWORD + "\n")  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert (await sign_in(client, "mod", ADMIN_PASSWORD))["user"]["role"] == "moderator"


async def test_cli_refuses_bad_input_with_a_message(client: httpx.AsyncClient) -> None:
    await create_user(client, "taken")

    duplicate = salon_admin(
        "create-user", "--username", "Taken", "--email", "t@example.com", "--password", ADMIN_PASSWORD
    )
    weak = salon_admin("create-user", "--username", "weak", "--email", "w@example.com", "--password", "password123")
    bad_name = salon_admin("create-user", "--username", "no spaces", "--email", "n@example.com", "--password", "x" * 12)
    bad_role = salon_admin("create-user", "--username", "r", "--email", "r@example.com", "--role", "god")

    assert duplicate.returncode == 1
    assert "username is taken" in duplicate.stderr
    assert weak.returncode == 1
    assert "commonly used" in weak.stderr
    assert bad_name.returncode == 1
    assert "username" in bad_name.stderr
    assert bad_role.returncode == 2
    assert "password123" not in weak.stderr + weak.stdout


async def test_admin_sets_roles_and_the_change_applies_on_refresh(client: httpx.AsyncClient) -> None:
    admin = await make_admin(client)
    bob = await create_user(client, "bob")

    response = await client.put("/api/v1/admin/users/BOB/role", headers=admin, json={"role": "moderator"})

    assert response.status_code == 200, response.text
    assert response.json()["role"] == "moderator"
    assert (await client.get("/api/v1/users/me", headers=bob.headers)).status_code == 401
    refreshed = (await client.post("/api/v1/auth/refresh", json={"refresh_token": bob.refresh_token})).json()
    claims = jwt.decode(refreshed["access_token"], options={"verify_signature": False})
    assert claims["extras"]["role"] == "moderator"
    assert refreshed["user"]["role"] == "moderator"


async def test_only_admins_pass_the_admin_guard(client: httpx.AsyncClient) -> None:
    admin = await make_admin(client)
    bob = await create_user(client, "bob")
    await create_user(client, "carol")
    await client.put("/api/v1/admin/users/carol/role", headers=admin, json={"role": "moderator"})
    carol_tokens = await sign_in(client, "carol", DEFAULT_PASSWORD)
    moderator = {"Authorization": f"Bearer {carol_tokens['access_token']}"}

    anonymous = await client.put("/api/v1/admin/users/bob/role", json={"role": "admin"})
    as_user = await client.put("/api/v1/admin/users/bob/role", headers=bob.headers, json={"role": "admin"})
    as_moderator = await client.put("/api/v1/admin/users/bob/role", headers=moderator, json={"role": "admin"})

    assert anonymous.status_code == 401
    assert as_user.status_code == 403
    assert as_moderator.status_code == 403
    assert "admin role" in as_user.json()["detail"]
    assert (await client.get("/api/v1/users/bob")).json()["role"] == "user"


async def test_role_changes_are_validated(client: httpx.AsyncClient) -> None:
    admin = await make_admin(client)

    assert (await client.put("/api/v1/admin/users/root/role", headers=admin, json={"role": "user"})).status_code == 409
    assert (await client.put("/api/v1/admin/users/ghost/role", headers=admin, json={"role": "user"})).status_code == 404
    bad = await client.put("/api/v1/admin/users/root/role", headers=admin, json={"role": "superuser"})
    assert bad.status_code == 400
